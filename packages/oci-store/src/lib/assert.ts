import { InvalidArgumentError, InvalidDescriptorError } from '../errors';
import { parseDigest } from '../format/digest';
import type { Descriptor } from '../format/types';

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(;.*)?$/;

/**
 * Checks a descriptor at the API edge: mediaType grammar, a verifiable digest, a safe
 * non-negative integer size, string-valued annotations and, when present, `data` matching
 * the size. The core trusts descriptors that passed.
 */
export function assertDescriptor(desc: unknown, what = 'descriptor'): asserts desc is Descriptor {
  if (!desc || typeof desc !== 'object' || Array.isArray(desc)) {
    throw new InvalidDescriptorError(`${what} is not an object`);
  }
  const d = desc as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || !MEDIA_TYPE.test(d.mediaType)) {
    throw new InvalidDescriptorError(`${what} has an invalid mediaType ${JSON.stringify(d.mediaType)}`, { mediaType: d.mediaType });
  }
  parseDigest(d.digest);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new InvalidDescriptorError(`${what} has an invalid size ${JSON.stringify(d.size)}`, { digest: d.digest, size: d.size });
  }
  if (d.annotations !== undefined && d.annotations !== null) {
    if (typeof d.annotations !== 'object' || Array.isArray(d.annotations)) {
      throw new InvalidDescriptorError(`${what} annotations must be an object`, { digest: d.digest });
    }
    for (const [k, v] of Object.entries(d.annotations as object)) {
      if (typeof v !== 'string') throw new InvalidDescriptorError(`${what} annotation ${k} is not a string`, { digest: d.digest });
    }
  }
  if (d.artifactType !== undefined && (typeof d.artifactType !== 'string' || !MEDIA_TYPE.test(d.artifactType))) {
    throw new InvalidDescriptorError(`${what} has an invalid artifactType`, { digest: d.digest });
  }
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) {
    throw new InvalidDescriptorError(`${what} urls must be strings`, { digest: d.digest });
  }
  if (d.data !== undefined) {
    if (typeof d.data !== 'string' || Buffer.from(d.data, 'base64').length !== d.size) {
      throw new InvalidDescriptorError(`${what} data does not match its size`, { digest: d.digest });
    }
  }
}

/** Checks a media type string. */
export function assertMediaType(mt: unknown): asserts mt is string {
  if (typeof mt !== 'string' || !MEDIA_TYPE.test(mt)) {
    throw new InvalidArgumentError(`invalid media type ${JSON.stringify(mt)}`, { mediaType: mt });
  }
}

/** Checks annotations: a plain object of strings. */
export function assertAnnotations(a: unknown): asserts a is Record<string, string> | undefined {
  if (a === undefined) return;
  if (!a || typeof a !== 'object' || Array.isArray(a) || Object.values(a).some((v) => typeof v !== 'string')) {
    throw new InvalidArgumentError('annotations must be an object of strings');
  }
}

/** The minimal (mediaType, digest, size) triple plus optional fields worth keeping. */
export function cleanDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls) out.urls = d.urls;
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = d.annotations;
  if (d.data !== undefined) out.data = d.data;
  if (d.platform) out.platform = d.platform;
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}
