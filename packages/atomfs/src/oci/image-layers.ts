import { stat } from 'node:fs/promises';
import { LayoutStore, MediaType, parseDigest, parseReference, resolveImage, type Descriptor, type ImageConfig, type ImageManifest } from '@mos/oci-store';
import { BadImageError } from '../errors';
import type { LayerSpec } from '../mount/types';
import { isSquashfsLayer, rootHashOf } from './media';

/** Which image: `oci:DIR:TAG`, `oci:DIR@sha256:<hex>`, or a layout and a tag or manifest digest. */
export type ImageSource = string | { layout: string; tag?: string; digest?: string };

/** An image resolved for mounting: manifest, config, and its layers as molecule input. */
export interface ResolvedImage {
  layout: string;
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** Base first, as in the manifest; id = digest hex, path = the blob file. */
  layers: LayerSpec[];
  /** Printable source, e.g. `oci:/store/mos:sha256:…`. */
  ref: string;
}

/**
 * Resolves an image as atomfs does (umoci rules: exactly one OCI manifest under the tag),
 * reads manifest and config through the store's digest-verifying reads, and turns each layer
 * into a {@link LayerSpec}: squashfs media type required, root hash from the new or old
 * annotation, blob present with the descriptor's size. The chain of trust is manifest digest →
 * root-hash annotation → verity, so layer blobs are not re-digested here.
 */
export async function resolveImageLayers(src: ImageSource): Promise<ResolvedImage> {
  let layout: string;
  let tag: string | undefined;
  let digest: string | undefined;
  const byDigest = typeof src === 'string' ? /^oci:([^:@]+)@(sha256:[0-9a-f]{64})$/.exec(src) : null;
  if (byDigest) {
    [, layout, digest] = byDigest;
  } else if (typeof src === 'string') {
    const ref = parseReference(src);
    if (ref.transport !== 'oci') throw new BadImageError(`atomfs mounts local layouts (oci:DIR:TAG), not ${src}`, { ref: src });
    ({ dir: layout, tag } = ref);
  } else ({ layout, tag, digest } = src);
  const store = await LayoutStore.open(layout);
  let desc: Descriptor;
  if (digest) {
    parseDigest(digest);
    const found = (await store.index()).manifests.find((d) => d.digest === digest);
    const size = found ? found.size : await stat(store.blobPath(digest)).then((st) => st.size, () => -1);
    if (size < 0) throw new BadImageError(`manifest ${digest} is not in ${store.dir}`, { digest, layout: store.dir });
    desc = found ?? { mediaType: MediaType.ImageManifest, digest, size };
  } else {
    if (!tag) throw new BadImageError(`no tag given for ${layout}`, { layout });
    desc = await resolveImage(store, tag);
  }
  if (desc.mediaType !== MediaType.ImageManifest) throw new BadImageError(`${desc.digest} is ${desc.mediaType}, not an OCI image manifest`, { digest: desc.digest });
  const manifest = await store.fetchJson<ImageManifest>(desc);
  if (manifest.mediaType !== undefined && manifest.mediaType !== MediaType.ImageManifest) {
    throw new BadImageError(`manifest ${desc.digest} has media type ${manifest.mediaType}`, { digest: desc.digest });
  }
  if (!Array.isArray(manifest.layers) || manifest.layers.length === 0) throw new BadImageError(`image ${desc.digest} has no layers`, { digest: desc.digest });
  const config = await store.fetchJson<ImageConfig>(manifest.config);
  const layers: LayerSpec[] = [];
  for (const l of manifest.layers) {
    if (!isSquashfsLayer(l.mediaType)) throw new BadImageError(`layer ${l.digest} is ${l.mediaType}, not a squashfs layer`, { digest: l.digest, mediaType: l.mediaType });
    const { encoded } = parseDigest(l.digest);
    const path = store.blobPath(l.digest);
    const size = await stat(path).then((s) => s.size, () => -1);
    if (size !== l.size) throw new BadImageError(`layer blob ${l.digest} is ${size < 0 ? 'missing' : `${size} bytes, not ${l.size}`}`, { digest: l.digest });
    const rootHash = rootHashOf(l);
    layers.push({ id: encoded, path, ...(rootHash ? { rootHash } : {}) });
  }
  return { layout: store.dir, manifestDescriptor: desc, manifest, config, layers, ref: typeof src === 'string' ? src : `oci:${store.dir}${tag ? `:${tag}` : `@${digest}`}` };
}
