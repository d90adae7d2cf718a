import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';

/**
 * The machine effects of the layout code that tests may want to replace: durability barriers,
 * liveness of lock holders, clocks and random names. Everything else is plain `node:fs` under
 * the layout directory. The default is the real machine.
 */
export interface Sys {
  /** Flushes a file's data and metadata to stable storage. */
  fsyncFile(path: string): Promise<void>;
  /** Flushes a directory (its entries: renames, unlinks) to stable storage. */
  fsyncDir(path: string): Promise<void>;
  /** True while process `pid` exists on this host. */
  pidAlive(pid: number): boolean;
  /** A random name component (hex), for temp files and upload sessions. */
  randomId(): string;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The real machine. */
export const realSys: Sys = {
  fsyncFile: fsyncPath,
  async fsyncDir(path) {
    try {
      await fsyncPath(path);
    } catch (e) {
      // Some filesystems refuse fsync on a directory fd; the rename is still journaled.
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL' && (e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
    }
  },
  pidAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  randomId: () => randomBytes(12).toString('hex'),
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};
