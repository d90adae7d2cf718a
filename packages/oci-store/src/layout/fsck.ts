import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isGraphType } from '../format/media-types';
import { childrenOf, parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import { JSON_CAP, readAll } from '../lib/read-all';
import { fileMatches } from './put-blob';
import { listBlobs } from './gc';
import type { LayoutStore } from './layout-store';

/** One problem fsck found. */
export interface FsckProblem {
  /**
   * `corrupt`: a blob's content does not hash to its name; `missing`: a referenced blob is absent;
   * `size`: a referenced blob exists with another size; `invalid-manifest`: a manifest or index
   * does not parse; `stray`: a file under `blobs/` whose name is not a digest.
   */
  kind: 'corrupt' | 'missing' | 'size' | 'invalid-manifest' | 'stray';
  digest?: string;
  path?: string;
  /** The manifest/index (or `index.json`) that references the blob. */
  referencedBy?: string;
  message: string;
}

/** Options of {@link fsck}. */
export interface FsckOptions {
  /** Remove corrupt blobs (under the exclusive lock). Default false. */
  repair?: boolean;
  /** Called after each blob is hashed. Default: none. */
  onProgress?: (p: { phase: 'hash'; loaded: number; total: number; digest: string }) => void;
}

/** What {@link fsck} found. */
export interface FsckReport {
  ok: boolean;
  /** Blob files hashed. */
  blobs: number;
  problems: FsckProblem[];
  /** Digests of corrupt blobs removed by `repair`. */
  repaired: string[];
}

/**
 * Checks a layout: every blob under `blobs/` hashes to its name, and every blob referenced
 * from `index.json` (through manifests and indexes) exists with the right size and parses.
 * With `repair`, corrupt blobs are removed (re-pull to restore them). Read-only otherwise.
 *
 * @example
 * import { LayoutStore, fsck } from '@mos/oci-store';
 * const report = await fsck(await LayoutStore.open('/atomfs-store/mos'));
 * for (const p of report.problems) console.log(p.kind, p.digest);
 */
export async function fsck(store: LayoutStore, opts: FsckOptions = {}): Promise<FsckReport> {
  const lock = opts.repair ? await store.exclusive() : undefined;
  try {
    const problems: FsckProblem[] = [];
    const corrupt = new Set<string>();
    const blobs = await listBlobs(store.dir);
    problems.push(...(await strays(store.dir)));
    let i = 0;
    for (const [digest, path] of blobs) {
      const st = await fsp.stat(path);
      if (!(await fileMatches(path, { digest, size: st.size }))) {
        corrupt.add(digest);
        problems.push({ kind: 'corrupt', digest, path, message: `blob ${digest} does not hash to its name` });
      }
      opts.onProgress?.({ phase: 'hash', loaded: ++i, total: blobs.length, digest });
    }
    problems.push(...(await checkReferences(store, corrupt)));
    const repaired: string[] = [];
    if (opts.repair && corrupt.size) {
      for (const d of corrupt) {
        await fsp.rm(store.blobPath(d), { force: true });
        repaired.push(d);
      }
      await store.sys.fsyncDir(join(store.dir, 'blobs', 'sha256'));
    }
    return { ok: problems.length === 0, blobs: blobs.length, problems, repaired };
  } finally {
    await lock?.release();
  }
}

async function checkReferences(store: LayoutStore, corrupt: Set<string>): Promise<FsckProblem[]> {
  const problems: FsckProblem[] = [];
  const seen = new Set<string>();
  const stack: Array<[Descriptor, string]> = (await store.index()).manifests.map((d) => [d, 'index.json']);
  while (stack.length) {
    const [d, parent] = stack.pop()!;
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    const path = store.blobPath(d.digest);
    const st = await fsp.stat(path).catch(() => undefined);
    if (!st) {
      if (d.data === undefined) problems.push({ kind: 'missing', digest: d.digest, path, referencedBy: parent, message: `blob ${d.digest} referenced by ${parent} is missing` });
      continue;
    }
    if (st.size !== d.size) {
      problems.push({ kind: 'size', digest: d.digest, path, referencedBy: parent, message: `blob ${d.digest} has ${st.size} bytes, ${parent} says ${d.size}` });
      continue;
    }
    if (!isGraphType(d.mediaType) || corrupt.has(d.digest)) continue;
    try {
      const bytes = await readAll(await store.fetch(d), JSON_CAP, d.digest);
      for (const c of childrenOf(parseGraphBlob(bytes, d.mediaType))) stack.push([c, d.digest]);
    } catch (e) {
      problems.push({ kind: 'invalid-manifest', digest: d.digest, path, referencedBy: parent, message: `${d.digest}: ${(e as Error).message}` });
    }
  }
  return problems;
}

async function strays(dir: string): Promise<FsckProblem[]> {
  const out: FsckProblem[] = [];
  const algs = await fsp.readdir(join(dir, 'blobs')).catch(() => [] as string[]);
  for (const alg of algs) {
    const names = await fsp.readdir(join(dir, 'blobs', alg)).catch(() => [] as string[]);
    for (const n of names) {
      if (!/^[a-f0-9]+$/.test(n) || (alg === 'sha256' && n.length !== 64) || (alg === 'sha512' && n.length !== 128) || (alg !== 'sha256' && alg !== 'sha512')) {
        out.push({ kind: 'stray', path: join(dir, 'blobs', alg, n), message: `blobs/${alg}/${n} is not a blob name` });
      }
    }
  }
  return out;
}
