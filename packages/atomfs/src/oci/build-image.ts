import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LayoutStore, MediaType, type Descriptor, type ImageConfig, type ImageManifest } from '@mos/oci-store';
import { BadArgumentError } from '../errors';
import { buildLayer } from '../build/build-layer';
import type { Sys } from '../sys';
import { ROOT_HASH_ANNOTATION_NEW, ROOT_HASH_ANNOTATION_OLD, SQUASHFS_GZIP_VERITY_MEDIA_TYPE, SQUASHFS_VERITY_MEDIA_TYPE } from './media';

export interface BuildImageOptions {
  /** OCI layout dir (created if missing). */
  layout: string;
  tag: string;
  /** One layer per source, base first: directories (overlay-style trees) or tar / tar.gz files. */
  sources: string[];
  entrypoint?: string[];
  cmd?: string[];
  /** `K=V` strings. */
  env?: string[];
  workingDir?: string;
  /** Layer and file timestamps (default 0, reproducible squashfs). */
  time?: number;
  sys?: Sys;
}

export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: (Descriptor & { rootHash: string })[];
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * Builds an image of squashfs+verity layers into an OCI layout and tags it: each source
 * becomes one layer (see {@link buildLayer}) stored with media type
 * `application/vnd.stacker.image.layer.squashfs+zstd+verity` and both root-hash annotations;
 * the config carries entrypoint, cmd and env, and diff_ids equal the layer digests (as
 * stacker does). Everything is committed in one store batch: a failure leaves no tag.
 *
 * @example
 * import { buildImage } from '@mos/atomfs';
 * await buildImage({ layout: 'oci', tag: 'demo', sources: ['base.tar', 'app/'], cmd: ['/bin/sh'] });
 */
export async function buildImage(opts: BuildImageOptions): Promise<BuiltImage> {
  if (!opts.sources.length) throw new BadArgumentError('an image needs at least one source', {});
  for (const e of opts.env ?? []) if (!/^[^=]+=/.test(e)) throw new BadArgumentError(`env entry ${JSON.stringify(e)} is not K=V`, { env: e });
  const store = await LayoutStore.open(opts.layout, { create: true });
  // Layers are built in the store's staging dir: same filesystem, and never a tmpfs.
  await mkdir(store.uploadsDir, { recursive: true });
  const tmp = await mkdtemp(join(store.uploadsDir, 'atomfs-build-'));
  try {
    return await store.withBatch(async (b) => {
      const layers: BuiltImage['layers'] = [];
      for (const [i, source] of opts.sources.entries()) {
        const built = await buildLayer({ source, out: join(tmp, `layer-${i}`), time: opts.time, sys: opts.sys });
        const rootHash = built.rootHash!;
        const mediaType = built.compression === 'zstd' ? SQUASHFS_VERITY_MEDIA_TYPE : SQUASHFS_GZIP_VERITY_MEDIA_TYPE;
        const desc = await b.ingest(createReadStream(built.path, { highWaterMark: 1 << 20 }), mediaType, {
          [ROOT_HASH_ANNOTATION_NEW]: rootHash,
          [ROOT_HASH_ANNOTATION_OLD]: rootHash,
        });
        await rm(built.path, { force: true });
        layers.push({ ...desc, rootHash });
      }
      const created = new Date((opts.time ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
      const cfg: ImageConfig = {
        architecture: ARCH[process.arch] ?? process.arch,
        os: 'linux',
        config: {
          ...(opts.env?.length ? { Env: opts.env } : {}),
          ...(opts.entrypoint?.length ? { Entrypoint: opts.entrypoint } : {}),
          ...(opts.cmd?.length ? { Cmd: opts.cmd } : {}),
          ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        // umoci stat dereferences history[].created, so it is always set (to the build time).
        created,
        history: opts.sources.map(() => ({ created, created_by: 'atomfs build' })),
      };
      const config = await b.pushJson(cfg, MediaType.ImageConfig);
      const m: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config,
        layers: layers.map(({ rootHash: _r, ...d }) => d),
      };
      const manifest = await b.pushJson(m, MediaType.ImageManifest);
      await b.tag(manifest, opts.tag);
      return { manifest, config, layers };
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
