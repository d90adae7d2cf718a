import { AmbiguousTagError, NotAManifestError } from '../errors';
import { isIndexType, MediaType } from '../format/media-types';
import { parseIndex } from '../format/parse-manifest';
import type { Descriptor, Platform } from '../format/types';
import type { LayoutStore } from '../layout/layout-store';

/** Options of {@link resolveImage}. */
export interface ResolveImageOptions {
  /** Pick this platform's entry when the tag names an index. Default: no filter (umoci rule). */
  platform?: Pick<Platform, 'os' | 'architecture'> & { variant?: string };
}

function matches(d: Descriptor, p: NonNullable<ResolveImageOptions['platform']>): boolean {
  return !!d.platform && d.platform.os === p.os && d.platform.architecture === p.architecture && (!p.variant || d.platform.variant === p.variant);
}

/**
 * Resolves a tag to exactly one OCI image manifest the way atomfs and mos do (umoci
 * `ResolveReference`): start from every `index.json` entry tagged exactly `tag`, descend into
 * image indexes, stop at anything else. Several results → `ERR_OCI_AMBIGUOUS_TAG`; a result
 * that is not an OCI image manifest (a Docker manifest, an unknown type) →
 * `ERR_OCI_NOT_A_MANIFEST`.
 *
 * @example
 * import { LayoutStore, resolveImage } from '@mos/oci-store';
 * const store = await LayoutStore.open('/atomfs-store/mos');
 * const manifest = await resolveImage(store, 'sha256:0123…');
 */
export async function resolveImage(store: LayoutStore, tag: string, opts: ResolveImageOptions = {}): Promise<Descriptor> {
  const top = await store.resolve(tag); // validates the tag; exactly one top-level digest
  const found = new Map<string, Descriptor>();
  const walk = async (d: Descriptor, depth: number): Promise<void> => {
    if (!isIndexType(d.mediaType) || depth > 8) {
      found.set(d.digest, d);
      return;
    }
    const index = parseIndex(await store.fetchBytes(d), d.mediaType);
    const children = opts.platform ? index.manifests.filter((c) => matches(c, opts.platform!)) : index.manifests;
    for (const c of children) await walk(c, depth + 1);
  };
  await walk(top, 0);
  const results = [...found.values()];
  if (results.length !== 1) {
    throw new AmbiguousTagError(`tag "${tag}" resolves to ${results.length} images in ${store.dir}`, { tag, digests: results.map((r) => r.digest) });
  }
  if (results[0].mediaType !== MediaType.ImageManifest) {
    throw new NotAManifestError(`tag "${tag}" names ${results[0].mediaType}, not an OCI image manifest`, { tag, mediaType: results[0].mediaType, digest: results[0].digest });
  }
  return results[0];
}
