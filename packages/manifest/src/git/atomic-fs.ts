import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';

type WriteOpts = { mode?: number; encoding?: BufferEncoding } | BufferEncoding | undefined;

/**
 * Writes a file so that readers see the old content or the whole new content, never a part:
 * temp file in the same directory, fsync, rename, fsync of the directory. isomorphic-git writes
 * loose objects only when the path does not exist yet, so a torn object left by a crash would
 * otherwise be trusted forever; and a torn ref would lose the state.
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, opts?: WriteOpts): Promise<void> {
  const o = typeof opts === 'string' ? { encoding: opts } : (opts ?? {});
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
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

/** The `fs` we hand to isomorphic-git: node's promises API with atomic, durable writes. */
export const gitFs = { promises: { ...fsp, writeFile: atomicWriteFile } };
