import { InvalidArgumentError } from '../errors';
import { assertRegistryTag } from '../format/names';
import type { Descriptor, Platform } from '../format/types';
import { copyGraph, type ProgressEvent } from '../graph/copy-graph';
import { LayoutStore } from '../layout/layout-store';
import type { RegistryClient } from '../client/registry-client';
import { formatReference, type ImageReference } from '../reference/parse-reference';
import type { CopySource } from '../store/interfaces';
import { openRemote, resolveSource, toReference, type RemoteAccessOptions } from './endpoints';

/** Options of {@link copy}; every default is stated. */
export interface CopyOptions extends RemoteAccessOptions {
  /** Progress per blob. Default: none. */
  onProgress?: (e: ProgressEvent) => void;
  /** Parallel blob transfers. Default 4. */
  concurrency?: number;
  /** Narrow an index to one platform's manifest (like skopeo without --all). Default: copy the index whole. */
  platform?: Pick<Platform, 'os' | 'architecture'>;
  /** Also copy the referrers of the root (signatures, certificates). Default false. */
  referrers?: boolean;
  /** Re-hash blobs a destination layout already has before skipping them; corrupt ones are fetched again. Default false. */
  verifyExisting?: boolean;
  signal?: AbortSignal;
}

/** What {@link copy} did. */
export interface CopyResult {
  source: string;
  destination: string;
  /** The root manifest (or index) copied; its digest is preserved. */
  manifest: Descriptor;
  /** Referrer manifests copied along (with `referrers: true`). */
  referrers: Descriptor[];
  copied: number;
  skipped: number;
  bytes: number;
}

/**
 * Copies an image (or index, or artifact) between layouts and registries, like
 * `skopeo copy`: `oci:DIR:TAG` or `docker://HOST/NAME:TAG|@DIGEST` on either side. Blobs the
 * destination has are skipped; everything is verified; into a layout the copy is one batch
 * (one durability barrier, tag written last, nothing visible on failure).
 *
 * @example
 * import { copy } from '@mos/oci-store';
 * const r = await copy('docker://127.0.0.1:5000/mos:1.0', 'oci:/var/lib/store/mos:sha256:…', {
 *   onProgress: (e) => e.phase === 'done' && console.log(e.digest),
 * });
 */
export async function copy(srcRef: string | ImageReference, dstRef: string | ImageReference, opts: CopyOptions = {}): Promise<CopyResult> {
  const src = toReference(srcRef);
  const dst = toReference(dstRef);
  const clients = new Map<string, RegistryClient>();
  try {
    const source: CopySource & { referrers?: unknown } = src.transport === 'oci' ? await LayoutStore.open(src.dir) : openRemote(src, opts, clients);
    const root = await resolveSource(src, source as LayoutStore, opts.platform);
    const graphOpts = { concurrency: opts.concurrency, onProgress: opts.onProgress, signal: opts.signal, verifyExisting: opts.verifyExisting };
    let result;
    const refs: Descriptor[] = [];
    if (dst.transport === 'oci') {
      const store = await LayoutStore.open(dst.dir, { create: true });
      result = await store.withBatch(async (batch) => {
        const r = await copyGraph(source, batch, root, graphOpts);
        if (dst.tag !== undefined) await batch.tag(root, dst.tag);
        else await batch.addRoot(root);
        if (opts.referrers && source.referrers) {
          for (const d of await source.referrers(root)) {
            await copyGraph(source, batch, d, graphOpts);
            await batch.addRoot(d);
            refs.push(d);
          }
        }
        return r;
      }, { verifyExisting: opts.verifyExisting });
    } else {
      const repo = openRemote(dst, opts, clients);
      if (dst.digest && dst.digest !== root.digest) {
        throw new InvalidArgumentError(`destination digest ${dst.digest} differs from the source's ${root.digest}`);
      }
      const tag = dst.digest ? undefined : dst.tag;
      if (tag !== undefined) assertRegistryTag(tag);
      result = await copyGraph(source, repo, root, { ...graphOpts, rootTag: tag });
      if (opts.referrers && source.referrers) {
        for (const d of await source.referrers(root)) {
          await copyGraph(source, repo, d, graphOpts);
          refs.push(d);
        }
      }
    }
    return {
      source: formatReference(src), destination: formatReference(dst), manifest: root, referrers: refs,
      copied: result.copied, skipped: result.skipped, bytes: result.bytes,
    };
  } finally {
    for (const c of clients.values()) c.close();
  }
}
