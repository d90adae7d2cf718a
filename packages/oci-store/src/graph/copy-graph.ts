import { setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import { CopyError, OciStoreError, RegistryError } from '../errors';
import { isGraphType } from '../format/media-types';
import { childrenOf, parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import { JSON_CAP, readAll } from '../lib/read-all';
import { Semaphore } from '../lib/semaphore';
import type { CopySource, CopyTarget } from '../store/interfaces';
import { SKIP } from './walk';

/** One progress event of a copy; the CLI turns them into bars or JSON lines. */
export interface ProgressEvent {
  kind: 'blob' | 'manifest';
  /** `start` → `progress`* → `done`, or `skipped` when the destination already has it. */
  phase: 'start' | 'progress' | 'done' | 'skipped';
  digest: string;
  mediaType: string;
  /** Bytes done so far (`total` when done or skipped). */
  loaded: number;
  total: number;
}

/** Options of {@link copyGraph}; every default is stated. */
export interface CopyGraphOptions {
  /** Blob transfers at once. Default 4. */
  concurrency?: number;
  /** Progress per blob and manifest. Default: none. */
  onProgress?: (e: ProgressEvent) => void;
  /** Called before a node is copied; return SKIP to leave it (and its subtree) out. Default: none. */
  preCopy?: (desc: Descriptor) => Promise<void | typeof SKIP> | void | typeof SKIP;
  /** Called after a node is in the destination. Default: none. */
  postCopy?: (desc: Descriptor) => Promise<void> | void;
  /** Called for nodes the destination already had. Default: none. */
  onSkipped?: (desc: Descriptor) => void;
  /** Whole-blob retries when the destination connection fails mid-upload. Default 2. */
  retries?: number;
  /**
   * Do not trust `exists()`: walk every node and let the destination verify what it has (a
   * layout batch with `verifyExisting` re-hashes and replaces corrupt blobs). Default false.
   */
  verifyExisting?: boolean;
  /** Push the root manifest under this tag where the destination can (registries). Default: by digest. */
  rootTag?: string;
  signal?: AbortSignal;
}

/** What a copy did. */
export interface CopyGraphResult {
  /** The root manifest's exact bytes (undefined when the destination already had the root). */
  rootBytes?: Buffer;
  copied: number;
  skipped: number;
  bytes: number;
}

interface TagPusher {
  pushManifest(desc: Descriptor, bytes: Buffer, tag?: string, signal?: AbortSignal): Promise<void>;
}

const transient = (e: unknown) =>
  (e as OciStoreError)?.code === 'ERR_OCI_REGISTRY_UNREACHABLE' || (e instanceof RegistryError && (e.status >= 500 || e.status === 429));

/**
 * Copies the graph below `root` from `src` to `dst` (oras `CopyGraph`): children before
 * parents, so a destination never holds a manifest whose blobs are missing; blobs the
 * destination has are skipped (manifests it has are still walked, so blobs removed by a
 * repair come back); each digest is transferred once; blobs
 * stream from source to destination with per-blob progress. Failures are `CopyError`s whose
 * `origin` says which side failed.
 *
 * @example
 * import { copyGraph } from '@mos/oci-store';
 * await copyGraph(remoteRepo, layoutBatch, manifestDesc, { onProgress: (e) => console.log(e) });
 */
export async function copyGraph(src: CopySource, dst: CopyTarget, root: Descriptor, opts: CopyGraphOptions = {}): Promise<CopyGraphResult> {
  const sem = new Semaphore(opts.concurrency ?? 4);
  // The first failure cancels the transfers still running in parallel.
  const ac = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal;
  setMaxListeners(0, signal); // every concurrent request listens on it; that is not a leak
  const done = new Map<string, Promise<void>>();
  const result: CopyGraphResult = { copied: 0, skipped: 0, bytes: 0 };
  const emit = (d: Descriptor, phase: ProgressEvent['phase'], loaded: number) =>
    opts.onProgress?.({ kind: isGraphType(d.mediaType) ? 'manifest' : 'blob', phase, digest: d.digest, mediaType: d.mediaType, loaded, total: d.size });

  const fromSource = async <T>(what: string, d: Descriptor, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw e instanceof CopyError ? e : new CopyError('source', `reading ${what} ${d.digest}: ${(e as Error).message}`, { digest: d.digest }, { cause: e });
    }
  };

  const node = async (d: Descriptor, isRoot: boolean): Promise<void> => {
    if ((await opts.preCopy?.(d)) === SKIP) return;
    const has = !opts.verifyExisting && await dst.exists(d).catch((e) => { throw new CopyError('destination', `checking ${d.digest}: ${(e as Error).message}`, { digest: d.digest }, { cause: e }); });
    const skip = () => {
      result.skipped++;
      emit(d, 'skipped', d.size);
      opts.onSkipped?.(d);
    };
    if (has && !isGraphType(d.mediaType)) return skip();
    if (isGraphType(d.mediaType)) {
      // An existing manifest is still walked: its blobs may have been removed (fsck --repair),
      // and checking them is cheap compared with trusting a broken image.
      const bytes = await fromSource('manifest', d, async () => readAll(await src.fetch(d, { signal }), JSON_CAP, d.digest));
      const children = await fromSource('manifest', d, async () => childrenOf(parseGraphBlob(bytes, d.mediaType)));
      await Promise.all(children.map((c) => visit(c, false)));
      if (isRoot) result.rootBytes = bytes;
      const retag = isRoot && opts.rootTag && 'pushManifest' in dst;
      if (has && !retag) return skip();
      emit(d, 'start', 0);
      await toDestination(d, async () => {
        if (retag) await (dst as unknown as TagPusher).pushManifest(d, bytes, opts.rootTag, signal);
        else await dst.push(d, bytes, { signal });
      });
    } else {
      await sem.run(() => blob(d));
    }
    result.copied++;
    result.bytes += d.size;
    emit(d, 'done', d.size);
    await opts.postCopy?.(d);
  };

  const blob = async (d: Descriptor): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      emit(d, 'start', 0);
      const stream: Readable = await fromSource('blob', d, () => src.fetch(d, { signal }));
      let sourceFailed: unknown;
      stream.once('error', (e) => (sourceFailed = e));
      try {
        await dst.push(d, stream, { signal, knownAbsent: true, onBytes: (n) => emit(d, 'progress', n) });
        return;
      } catch (e) {
        stream.destroy();
        if (sourceFailed) throw new CopyError('source', `reading blob ${d.digest}: ${(sourceFailed as Error).message}`, { digest: d.digest }, { cause: sourceFailed });
        if (transient(e) && attempt < (opts.retries ?? 2)) continue;
        throw new CopyError('destination', `writing blob ${d.digest}: ${(e as Error).message}`, { digest: d.digest }, { cause: e });
      }
    }
  };

  const toDestination = async (d: Descriptor, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      throw new CopyError('destination', `writing ${d.digest}: ${(e as Error).message}`, { digest: d.digest }, { cause: e });
    }
  };

  const visit = (d: Descriptor, isRoot: boolean): Promise<void> => {
    let p = done.get(d.digest);
    if (!p) {
      p = node(d, isRoot);
      done.set(d.digest, p);
    }
    return p;
  };

  try {
    await visit(root, true);
  } catch (e) {
    ac.abort();
    await Promise.allSettled(done.values());
    throw e;
  }
  return result;
}
