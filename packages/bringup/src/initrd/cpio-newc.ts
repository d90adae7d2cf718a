import { open } from 'node:fs/promises';
import { BringupError } from '../errors';

/**
 * One member of an archive. Paths are inside the archive, with or without a leading `/`
 * (`bin/busybox` and `/bin/busybox` are the same member).
 */
export type CpioEntry =
  /** A directory; mode defaults to 0755. */
  | { type: 'dir'; path: string; mode?: number }
  /** A regular file streamed from `source` at write time (symlinks followed); mode defaults to the source's permission bits. */
  | { type: 'file'; path: string; source: string; mode?: number }
  /** A small regular file given inline; mode defaults to 0644. */
  | { type: 'file'; path: string; data: string | Uint8Array; mode?: number }
  /** A symbolic link to `target` (taken literally). */
  | { type: 'symlink'; path: string; target: string }
  /** A character or block device node; mode defaults to 0600. */
  | { type: 'char' | 'block'; path: string; major: number; minor: number; mode?: number };

export interface CpioOptions {
  /** The mtime of every member, in seconds since the epoch. Default 0, so inputs' times never leak in. */
  mtime?: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const TRAILER = 'TRAILER!!!';

function bad(message: string, details: Record<string, unknown>): BringupError {
  return new BringupError('ERR_BRINGUP_BAD_OPTION', message, { details });
}

/** `/a//b/` → `a/b`; refuses `.`/`..` components, NUL and the empty path. */
export function normalizeArchivePath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  if (parts.length === 0 || p.includes('\0') || parts.some((s) => s === '.' || s === '..'))
    throw bad(`not a usable path inside the archive: ${JSON.stringify(p)}`, { path: p });
  return parts.join('/');
}

/**
 * The members in archive order: paths normalized, missing parent directories added (0755),
 * sorted bytewise so every parent comes before its children. A directory may be named twice
 * (an explicit one wins over an implied parent); any other duplicate, or a member under a
 * non-directory, is an error.
 *
 * @example
 * ```ts
 * import { sortCpioEntries } from '@mos/bringup';
 * sortCpioEntries([{ type: 'file', path: '/usr/bin/node', source: '/usr/bin/node' }]).map((e) => e.path);
 * // ['usr', 'usr/bin', 'usr/bin/node']
 * ```
 */
export function sortCpioEntries(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  const implied = new Set<string>();
  for (const e of entries) {
    const path = normalizeArchivePath(e.path);
    if (path === TRAILER) throw bad(`${TRAILER} is reserved`, { path });
    const prev = byPath.get(path);
    if (prev && (prev.type !== 'dir' || e.type !== 'dir')) {
      if (implied.has(path)) throw bad(`a member is under /${path}, which is not a directory`, { path });
      throw bad(`two archive members at /${path}`, { path });
    }
    byPath.set(path, { ...e, path });
    implied.delete(path);
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const parent = path.slice(0, i);
      if (!byPath.has(parent)) {
        byPath.set(parent, { type: 'dir', path: parent });
        implied.add(parent);
      }
    }
  }
  for (const [path] of byPath) {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const parent = byPath.get(path.slice(0, i))!;
      if (parent.type !== 'dir') throw bad(`/${path} is under /${parent.path}, which is not a directory`, { path, parent: parent.path });
    }
  }
  // Bytewise order (not locale order): a prefix sorts before its extensions, so parents first.
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw bad(`cpio field out of range: ${n}`, { value: n });
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  rdevmajor?: number;
  rdevminor?: number;
  name: string;
}

/** The 110-byte newc header, the NUL-terminated name, padded to 4. uid, gid and dev are 0. */
function header(h: Header): Buffer {
  const name = Buffer.from(h.name + '\0');
  const fields = [h.ino, h.mode, 0, 0, h.nlink, h.mtime, h.size, 0, 0, h.rdevmajor ?? 0, h.rdevminor ?? 0, name.length, 0];
  const head = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([head, name, pad4(head.length + name.length)]);
}

/**
 * Streams a reproducible cpio "newc" archive (magic 070701) of `entries`: members sorted as
 * {@link sortCpioEntries} does, inode numbers 1, 2, 3… in that order, uid/gid 0, one mtime,
 * nlink 2 for directories and 1 for everything else (no hard links). File contents are read
 * from disk chunk by chunk while the consumer pulls, so a 100 MB binary never sits in memory.
 * A source whose size changes while it is read is an error (its header already went out).
 *
 * @example
 * ```ts
 * import { cpioNewc } from '@mos/bringup';
 * import { createWriteStream } from 'node:fs';
 * import { pipeline } from 'node:stream/promises';
 * await pipeline(cpioNewc([{ type: 'file', path: 'init', data: '#!/bin/sh\n', mode: 0o755 }]), createWriteStream('a.cpio'));
 * ```
 */
export async function* cpioNewc(entries: readonly CpioEntry[], opts: CpioOptions = {}): AsyncGenerator<Buffer> {
  const mtime = opts.mtime ?? 0;
  hex8(mtime);
  let ino = 0;
  for (const e of sortCpioEntries(entries)) {
    ino++;
    const base = { ino, mtime, name: e.path };
    switch (e.type) {
      case 'dir':
        yield header({ ...base, mode: S_IFDIR | (e.mode ?? 0o755), nlink: 2, size: 0 });
        break;
      case 'symlink': {
        const target = Buffer.from(e.target);
        yield header({ ...base, mode: S_IFLNK | 0o777, nlink: 1, size: target.length });
        yield Buffer.concat([target, pad4(target.length)]);
        break;
      }
      case 'char':
      case 'block':
        yield header({ ...base, mode: (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode ?? 0o600), nlink: 1, size: 0, rdevmajor: e.major, rdevminor: e.minor });
        break;
      case 'file':
        if ('data' in e) {
          const data = Buffer.from(e.data);
          yield header({ ...base, mode: S_IFREG | (e.mode ?? 0o644), nlink: 1, size: data.length });
          yield Buffer.concat([data, pad4(data.length)]);
        } else yield* streamFile(e.source, e.mode, base);
        break;
    }
  }
  yield header({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0, name: TRAILER });
}

async function* streamFile(source: string, mode: number | undefined, base: { ino: number; mtime: number; name: string }): AsyncGenerator<Buffer> {
  let fh;
  try {
    fh = await open(source, 'r');
  } catch (e) {
    throw new BringupError('ERR_BRINGUP_FILE_NOT_FOUND', `cannot read ${source} (for /${base.name}): ${(e as Error).message}`, { cause: e, details: { source, path: base.name } });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw bad(`${source} (for /${base.name}) is not a regular file`, { source, path: base.name });
    yield header({ ...base, mode: S_IFREG | (mode ?? st.mode & 0o777), nlink: 1, size: st.size });
    let read = 0;
    for await (const chunk of fh.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > st.size) break;
      yield chunk;
    }
    if (read !== st.size)
      throw new BringupError('ERR_BRINGUP_INITRD_BUILD', `${source} changed size while it was archived (${st.size} → ${read}+ bytes)`, { details: { source, expected: st.size, read } });
    yield pad4(st.size);
  } finally {
    await fh.close();
  }
}
