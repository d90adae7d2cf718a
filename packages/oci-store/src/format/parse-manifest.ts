import { InvalidManifestError } from '../errors';
import { assertDescriptor } from '../lib/assert';
import { isIndexType, isManifestType, MediaType } from './media-types';
import type { Descriptor, ImageIndex, ImageManifest } from './types';

/** Which of the two JSON graph shapes a blob holds. */
export type ParsedGraphBlob =
  | { kind: 'manifest'; value: ImageManifest }
  | { kind: 'index'; value: ImageIndex };

function parseObject(bytes: Uint8Array, mediaType: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new InvalidManifestError(`${mediaType} blob is not JSON`, { mediaType }, { cause: e });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidManifestError(`${mediaType} blob is not a JSON object`, { mediaType });
  const o = v as Record<string, unknown>;
  if (o.schemaVersion !== 2) throw new InvalidManifestError(`${mediaType} has schemaVersion ${JSON.stringify(o.schemaVersion)}, want 2`, { mediaType });
  return o;
}

function descriptors(v: unknown, field: string, mediaType: string): Descriptor[] {
  // Go writes a nil slice as null; readers treat it as empty.
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidManifestError(`${mediaType} field ${field} is not an array`, { mediaType });
  v.forEach((d, i) => assertDescriptor(d, `${field}[${i}]`));
  return v as Descriptor[];
}

/**
 * Parses an image manifest, applying umoci's rejections: a `mediaType` that disagrees with the
 * descriptor's, a `manifests` field, missing config.
 */
export function parseManifest(bytes: Uint8Array, mediaType: string = MediaType.ImageManifest): ImageManifest {
  const o = parseObject(bytes, mediaType);
  if (o.mediaType !== undefined && o.mediaType !== mediaType) {
    throw new InvalidManifestError(`manifest mediaType ${JSON.stringify(o.mediaType)} differs from descriptor's ${mediaType}`, { mediaType });
  }
  if ('manifests' in o) throw new InvalidManifestError('an image manifest may not have a "manifests" field', { mediaType });
  assertDescriptor(o.config, 'config');
  const layers = descriptors(o.layers, 'layers', mediaType);
  if (o.subject !== undefined) assertDescriptor(o.subject, 'subject');
  return { ...(o as unknown as ImageManifest), layers };
}

/** Parses an image index (or Docker manifest list), rejecting `config`/`layers` fields. */
export function parseIndex(bytes: Uint8Array, mediaType: string = MediaType.ImageIndex): ImageIndex {
  const o = parseObject(bytes, mediaType);
  if (o.mediaType !== undefined && o.mediaType !== mediaType) {
    throw new InvalidManifestError(`index mediaType ${JSON.stringify(o.mediaType)} differs from descriptor's ${mediaType}`, { mediaType });
  }
  if ('config' in o || 'layers' in o) throw new InvalidManifestError('an image index may not have "config" or "layers"', { mediaType });
  const manifests = descriptors(o.manifests, 'manifests', mediaType);
  if (o.subject !== undefined) assertDescriptor(o.subject, 'subject');
  return { ...(o as unknown as ImageIndex), manifests };
}

/** Parses a manifest or index according to `mediaType`; null for other media types. */
export function parseGraphBlob(bytes: Uint8Array, mediaType: string): ParsedGraphBlob | null {
  if (isManifestType(mediaType)) return { kind: 'manifest', value: parseManifest(bytes, mediaType) };
  if (isIndexType(mediaType)) return { kind: 'index', value: parseIndex(bytes, mediaType) };
  return null;
}

/**
 * The descriptors a manifest or index points to: config, layers and subject; or manifests and
 * subject. Other media types are leaves (empty list).
 */
export function childrenOf(parsed: ParsedGraphBlob | null): Descriptor[] {
  if (!parsed) return [];
  if (parsed.kind === 'manifest') {
    const m = parsed.value;
    return [m.config, ...m.layers, ...(m.subject ? [m.subject] : [])];
  }
  const i = parsed.value;
  return [...i.manifests, ...(i.subject ? [i.subject] : [])];
}

/**
 * Guesses a manifest's media type from its bytes when a registry did not say (no
 * Content-Type): its own `mediaType` field, else `manifests` → index, else manifest.
 */
export function sniffMediaType(bytes: Uint8Array): string {
  try {
    const o = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (typeof o.mediaType === 'string') return o.mediaType;
    return 'manifests' in o ? MediaType.ImageIndex : MediaType.ImageManifest;
  } catch {
    return 'application/octet-stream';
  }
}
