import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { MediaType, type Descriptor, type ImageManifest, type Store } from '@mos/oci-store';

/** What {@link buildImage} wrote. */
export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  blobs: Map<string, Buffer>;
}

function desc(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}

/** Random layer bytes, config and OCI manifest, pushed into `store` (any Store). */
export async function buildImage(
  store: Store,
  opts: { layers?: number; layerSize?: number; layerMediaType?: string; annotations?: Record<string, string> } = {},
): Promise<BuiltImage> {
  const blobs = new Map<string, Buffer>();
  const layers: Descriptor[] = [];
  for (let i = 0; i < (opts.layers ?? 2); i++) {
    const b = randomBytes(opts.layerSize ?? 4096 + i);
    const d = desc(opts.layerMediaType ?? MediaType.LayerTar, b);
    blobs.set(d.digest, b);
    layers.push(d);
    await store.push(d, b);
  }
  const cfgBytes = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  }));
  const config = desc(MediaType.ImageConfig, cfgBytes);
  blobs.set(config.digest, cfgBytes);
  await store.push(config, cfgBytes);
  const m: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ImageManifest, config, layers, ...(opts.annotations ? { annotations: opts.annotations } : {}) };
  const mBytes = Buffer.from(JSON.stringify(m));
  const manifest = desc(MediaType.ImageManifest, mBytes);
  blobs.set(manifest.digest, mBytes);
  await store.push(manifest, mBytes);
  return { manifest, config, layers, blobs };
}

/** An artifact manifest (empty config) with one layer, whose subject is `subject`. */
export async function buildArtifact(store: Store, subject: Descriptor, artifactType: string, content = randomBytes(100)): Promise<Descriptor> {
  const empty = { mediaType: MediaType.Empty, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };
  await store.push(empty, Buffer.from('{}'));
  const layer = desc('application/vnd.oci.image.layer.v1.tar', content);
  await store.push(layer, content);
  const m: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ImageManifest, artifactType, config: { ...empty, data: 'e30=' }, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } };
  const bytes = Buffer.from(JSON.stringify(m));
  const d = desc(MediaType.ImageManifest, bytes);
  await store.push(d, bytes);
  return d;
}
