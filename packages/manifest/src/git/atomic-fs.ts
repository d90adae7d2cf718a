import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Dirent } from 'node:fs';

type WriteOpts = { mode?: number; encoding?: BufferEncoding } | BufferEncoding | undefined;

/**
 * Writes a file so that readers see the old content or the whole new content, never a part:
 * temp file in the same directory, fsync, rename, fsync of the directory. isomorphic-git writes
 * loose objects only when the path does not exist yet, so a torn object left by a crash would
 * otherwise be trusted forever; and a torn ref would lose the state.
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, opts?: WriteOpts): Promise<void> {
  const o = typeof opts === 'string' ? { encoding: opts } : (opts ?? {});
  // A dot name: git skips it when it lists loose refs, so a kill before the rename never leaves
  // a half-written `refs/heads/master.tmp-…` that git would take for a (broken) branch.
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await fsp.open(tmp, 'wx', o.mode ?? 0o644);
  try {
    await fh.writeFile(data, o.encoding ? { encoding: o.encoding } : undefined);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

/** fsync a directory so a rename or create inside it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The temp names `atomicWriteFile` writes to before its rename. */
const TEMP = /^\..+\.tmp-[0-9a-f]{12}$/;

/**
 * Removes the temp files of atomic writes that a kill interrupted under `dir` (recursively;
 * directories named like temps are left alone). Only call it with the lock held that every
 * writer of `dir` holds: a temp file then belongs to a writer that is gone. Left behind, they
 * are harmless to readers but `git fsck` reports each in `objects/` as a "bad sha1 file".
 * Returns how many were removed.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let n = 0;
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) n += await removeStaleTemps(p);
    else if (e.isFile() && TEMP.test(e.name)) {
      // Best effort: a read-only mount (bringup's) keeps them, and that harms no reader.
      if (await fsp.rm(p, { force: true }).then(() => true, () => false)) n++;
    }
  }
  return n;
}

/** The `fs` we hand to isomorphic-git: node's promises API with atomic, durable writes. */
export const gitFs = { promises: { ...fsp, writeFile: atomicWriteFile } };
