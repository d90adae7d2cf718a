import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isDigest } from '../format/digest';
import { successors } from '../graph/walk';
import type { Descriptor } from '../format/types';
import type { LayoutStore } from './layout-store';
import { UPLOADS, writeIndex } from './index-file';

/** Options of {@link gc}. */
export interface GcOptions {
  /** List what would be removed, remove nothing. Default false. */
  dryRun?: boolean;
  /**
   * Which `index.json` entries stay roots. Entries it rejects are dropped from the index first
   * (atomically, under the same exclusive lock as the sweep), so what only they reached is
   * swept too: mos keeps the images its recent states name. Default: every entry stays.
   */
  keepRoot?: (entry: Descriptor) => boolean;
}

/** What {@link gc} removed (or would remove). */
export interface GcResult {
  dryRun: boolean;
  /** Digests of the swept blobs. */
  removed: string[];
  /** Bytes the swept blobs used. */
  freedBytes: number;
  /** Blobs that stay. */
  kept: number;
  /** Stale staging files removed from `.uploads/`. */
  staleUploads: number;
  /** The `index.json` entries `keepRoot` dropped (or would drop). */
  droppedRoots: Descriptor[];
}

/**
 * Mark and sweep, umoci's rule: every `index.json` entry (tagged or not) is a root; marking
 * follows manifest → config, layers, subject and index → manifests, subject (Docker types
 * too, where umoci 0.4.7 stops); every other blob under `blobs/` is removed. A referrer
 * artifact is an `index.json` entry, so it stays, and it keeps its subject alive. Runs under
 * the exclusive store lock, so never concurrently with an import; leftovers of crashed
 * imports in `.uploads/` are removed too. One directory flush at the end. With `keepRoot`,
 * the index entries it rejects stop being roots (and leave `index.json`) first.
 *
 * @example
 * import { LayoutStore, gc } from '@mos/oci-store';
 * const r = await gc(await LayoutStore.open('/atomfs-store/mos'), { dryRun: true });
 */
export async function gc(store: LayoutStore, opts: GcOptions = {}): Promise<GcResult> {
  const dryRun = opts.dryRun ?? false;
  const lock = await store.exclusive();
  try {
    const index = await store.index();
    const roots = opts.keepRoot ? index.manifests.filter((d) => opts.keepRoot!(d)) : index.manifests;
    const droppedRoots = index.manifests.filter((d) => !roots.includes(d));
    // The index is rewritten before the sweep: a kill between the two leaves blobs nothing
    // reaches, which the next gc sweeps; never an index naming swept blobs.
    if (droppedRoots.length && !dryRun) await writeIndex(store.dir, { ...index, manifests: roots }, store.sys);
    const live = await mark(store, roots);
    const result: GcResult = { dryRun, removed: [], freedBytes: 0, kept: 0, staleUploads: 0, droppedRoots };
    const touched = new Set<string>();
    for (const [digest, path] of await listBlobs(store.dir)) {
      if (live.has(digest)) {
        result.kept++;
        continue;
      }
      const st = await fsp.stat(path);
      result.removed.push(digest);
      result.freedBytes += st.size;
      if (!dryRun) {
        await fsp.rm(path, { force: true });
        touched.add(join(path, '..'));
      }
    }
    result.staleUploads = await staleUploads(store, dryRun);
    await Promise.all([...touched].map((d) => store.sys.fsyncDir(d)));
    result.removed.sort();
    return result;
  } finally {
    await lock.release();
  }
}

/**
 * The digests reachable from `roots`. A missing manifest is marked but not descended (the
 * spec allows referenced blobs to be missing); a corrupt one aborts the gc, because sweeping
 * without knowing its children could delete layers a repaired image still needs.
 */
export async function mark(store: LayoutStore, roots: Descriptor[]): Promise<Set<string>> {
  const live = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const d = stack.pop()!;
    if (live.has(d.digest)) continue;
    live.add(d.digest);
    try {
      stack.push(...(await successors(store, d)));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_OCI_NOT_FOUND') throw e;
    }
  }
  return live;
}

/** Every blob file as [digest, path]; names that are not digests are left out (fsck reports them). */
export async function listBlobs(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  let algs: string[];
  try {
    algs = await fsp.readdir(join(dir, 'blobs'));
  } catch {
    return out;
  }
  for (const alg of algs) {
    let names: string[];
    try {
      names = await fsp.readdir(join(dir, 'blobs', alg));
    } catch {
      continue;
    }
    for (const n of names) if (isDigest(`${alg}:${n}`)) out.push([`${alg}:${n}`, join(dir, 'blobs', alg, n)]);
  }
  return out;
}

/**
 * Removes our own staging files (`blob-*`, `index-*`): with the exclusive lock held no import
 * is running, so they are leftovers of a crash. Other entries (registry upload sessions, zot's
 * uploads) span requests and are only removed after a day.
 */
async function staleUploads(store: LayoutStore, dryRun: boolean): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(join(store.dir, UPLOADS));
  } catch {
    return 0;
  }
  const old = store.sys.now() - 24 * 3600 * 1000;
  let n = 0;
  for (const name of names) {
    const p = join(store.dir, UPLOADS, name);
    const ours = name.startsWith('blob-') || name.startsWith('index-');
    if (!ours) {
      const st = await fsp.stat(p).catch(() => undefined);
      if (!st || st.mtimeMs > old) continue;
    }
    n++;
    if (!dryRun) await fsp.rm(p, { force: true, recursive: true });
  }
  return n;
}
