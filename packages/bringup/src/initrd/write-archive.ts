import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BringupError } from '../errors';
import { realInitrdSys, type InitrdSys } from '../sys';
import { cpioNewc, type CpioEntry } from './cpio-newc';
import { compressorCommand, type InitrdCompression } from './compress';

export interface WriteArchiveOptions {
  out: string;
  compress: InitrdCompression;
  mtime?: number;
  sys?: InitrdSys;
}

/**
 * Writes `entries` as a (compressed) cpio newc archive at `out`, crash-safe: the bytes stream
 * through the compressor into a temp file beside `out`, hashed and counted on the way, then
 * fsync and rename. On any failure the temp file is removed and `out` is untouched; a half
 * archive is never left at `out`.
 *
 * @example
 * ```ts
 * import { writeArchive } from '@mos/bringup';
 * const { size, sha256 } = await writeArchive([{ type: 'file', path: 'init', data: '#!/bin/sh\n', mode: 0o755 }], { out: 'initrd.img', compress: 'zstd' });
 * ```
 */
export async function writeArchive(entries: readonly CpioEntry[], opts: WriteArchiveOptions): Promise<{ size: number; sha256: string }> {
  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  let fh;
  try {
    fh = await open(tmp, 'wx', 0o644);
  } catch (e) {
    throw new BringupError('ERR_BRINGUP_INITRD_BUILD', `cannot create ${tmp}: ${(e as Error).message}`, { cause: e, details: { out: opts.out } });
  }
  try {
    const sink = fileSink(fh);
    const source = cpioNewc(entries, { mtime: opts.mtime });
    const cmd = compressorCommand(opts.compress);
    if (!cmd) await pipeline(source, tap, sink);
    else {
      const filter = (opts.sys ?? realInitrdSys).filter(cmd.tool, cmd.args);
      const results = await Promise.allSettled([pipeline(source, filter.stdin), pipeline(filter.stdout, tap, sink), filter.done]);
      // The archive's own error (a missing input) explains more than the EPIPE it causes, and a
      // compressor's exit status more than the broken pipe it leaves behind.
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      const pick = failed.find((e) => e instanceof BringupError) ?? failed[0];
      if (pick) throw pick;
    }
    await fh.close();
    fh = undefined;
    await rename(tmp, opts.out);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (e instanceof BringupError) throw e;
    throw new BringupError('ERR_BRINGUP_INITRD_BUILD', `writing ${opts.out} failed: ${(e as Error).message}`, { cause: e, details: { out: opts.out } });
  }
  await syncDir(dirname(opts.out));
  return { size, sha256: hash.digest('hex') };
}

/**
 * A Writable over an open file that fsyncs in `final`, so "finished" means "on disk". (An
 * fs.WriteStream with `autoClose: false` never emits 'close', and a pipeline waits for it.)
 */
function fileSink(fh: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      (async () => {
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      })().then(() => cb(), cb);
    },
    final(cb) {
      fh.sync().then(() => cb(), cb);
    },
  });
}

/** Makes the rename durable; some file systems refuse fsync on a directory, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // best effort
  }
}
