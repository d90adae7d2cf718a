import { createReadStream } from 'node:fs';
import { lstat, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AtomfsError, BadArgumentError, BadTarError } from '../errors';
import { realSys, type Sys } from '../sys';
import { formatVerity } from '../verity/format';
import { locateVerity } from '../verity/locate';
import { planTar, rewriteTar } from './whiteouts';

export interface BuildLayerOptions {
  /** A directory (taken as an overlay-style tree) or a tar / tar.gz (OCI layer with `.wh.` whiteouts). */
  source: string;
  /** The squashfs file to write (replaced if it exists). */
  out: string;
  /** Append verity data (default true). */
  verity?: boolean;
  /** Verity salt (64 hex) and uuid, for reproducible output; random by default. */
  salt?: string;
  uuid?: string;
  /** Filesystem and file timestamps, seconds since the epoch (default 0: reproducible builds). */
  time?: number;
  sys?: Sys;
}

/** A layer file ready to be stored: squashfs, optionally with verity appended. */
export interface BuiltLayer {
  path: string;
  /** Verity root hash (hex), when verity was appended. */
  rootHash?: string;
  /** `zstd` (or `gzip` where mksquashfs lacks zstd). */
  compression: 'zstd' | 'gzip';
  /** End of the squashfs image, where verity data starts. */
  hashOffset: number;
  /** Total file size. */
  size: number;
}

/**
 * Builds one squashfs layer with mksquashfs (zstd, reproducible timestamps, xattrs kept, padded
 * to 4 KiB) and appends verity data. A tar source is streamed through a converter into
 * `mksquashfs -tar`, turning OCI whiteouts into overlay ones (0/0 char devices and
 * `user.overlay.opaque=y`); a directory is used as is, unless it contains `.wh.` files, in
 * which case it is read through `tar -c` and converted the same way.
 *
 * @example
 * import { buildLayer } from '@mos/atomfs';
 * const { rootHash } = await buildLayer({ source: 'rootfs/', out: 'base.squashfs' });
 */
export async function buildLayer(opts: BuildLayerOptions): Promise<BuiltLayer> {
  const sys = opts.sys ?? realSys;
  const time = opts.time ?? 0;
  if (!Number.isInteger(time) || time < 0 || time > 0xffffffff) throw new BadArgumentError(`time must be a 32-bit unsigned integer: ${time}`, { time });
  const st = await lstat(opts.source);
  const compression = (await hasZstd(sys)) ? 'zstd' : 'gzip';
  const common = ['-comp', compression, '-noappend', '-quiet', '-no-progress', '-mkfs-time', String(time), '-all-time', String(time)];
  await rm(opts.out, { force: true });
  try {
    if (st.isDirectory() && !(await hasWhiteouts(opts.source))) {
      await sys.run('mksquashfs', [opts.source, opts.out, ...common]);
    } else {
      if (!st.isDirectory() && !st.isFile()) throw new BadArgumentError(`${opts.source}: not a directory or a tar file`, { source: opts.source });
      const tarStream = st.isDirectory() ? () => tarOfDir(sys, opts.source) : () => readTarFile(opts.source);
      const plan = await planTar(tarStream());
      const r = plan.root;
      const rootArgs = ['-root-mode', (r ? r.mode : 0o755).toString(8), '-root-uid', String(r?.uid ?? 0), '-root-gid', String(r?.gid ?? 0)];
      const child = sys.runWithInput('mksquashfs', ['-', opts.out, '-tar', ...common, ...rootArgs]);
      // Settle both sides: a failed conversion ends mksquashfs's input, and a failed mksquashfs
      // ends the conversion (EPIPE). Our own errors name the cause best, then the tool's.
      const [fed, ran] = await Promise.allSettled([pipeline(Readable.from(rewriteTar(tarStream(), plan)), child.stdin), child.done]);
      if (fed.status === 'rejected' && fed.reason instanceof AtomfsError) throw fed.reason;
      if (ran.status === 'rejected') throw ran.reason;
      if (fed.status === 'rejected') throw fed.reason;
    }
    const loc = await locateVerity(opts.out);
    const result: BuiltLayer = { path: opts.out, compression, hashOffset: loc.hashOffset, size: loc.fileSize };
    if (opts.verity !== false) {
      const v = await formatVerity(opts.out, { hashOffset: loc.hashOffset, salt: opts.salt, uuid: opts.uuid });
      result.rootHash = v.rootHash;
      result.size = v.size;
    }
    return result;
  } catch (e) {
    await rm(opts.out, { force: true });
    throw e;
  }
}

const zstdCache = new WeakMap<Sys, Promise<boolean>>();

/** Whether mksquashfs knows zstd (stacker's test), asked once per Sys. */
function hasZstd(sys: Sys): Promise<boolean> {
  let p = zstdCache.get(sys);
  if (!p) {
    p = sys.run('mksquashfs', ['-help'], { allowFail: true }).then((r) => /\bzstd\b/.test(r.stdout + r.stderr));
    zstdCache.set(sys, p);
  }
  return p;
}

async function hasWhiteouts(dir: string): Promise<boolean> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.wh.')) return true;
    if (e.isDirectory() && (await hasWhiteouts(join(dir, e.name)))) return true;
  }
  return false;
}

async function* readTarFile(path: string): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  const magic = Buffer.alloc(4);
  try {
    await fh.read(magic, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (magic.readUInt32LE(0) === 0xfd2fb528) throw new BadTarError(`${path}: zstd-compressed tar layers are not supported; decompress first`, { path });
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const src = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const c of src) yield c as Buffer;
  } finally {
    raw.destroy();
  }
}

/** A directory as a POSIX tar with xattrs and numeric ids, streamed from GNU tar. */
async function* tarOfDir(sys: Sys, dir: string): AsyncGenerator<Buffer> {
  const { stdout, done } = sys.runWithOutput('tar', ['-c', '-f', '-', '-C', dir, '--format=posix', '--numeric-owner', '--xattrs', '--xattrs-include=*', '.']);
  let finished = false;
  try {
    for await (const c of stdout) yield c as Buffer;
    finished = true;
  } finally {
    if (!finished) {
      stdout.destroy();
      await done.catch(() => undefined);
    }
  }
  await done;
}
