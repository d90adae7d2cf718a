import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { hasherFor } from '../format/digest';
import type { Descriptor } from '../format/types';
import { checkDigest, selfVerifying } from '../lib/verify-stream';
import { SizeMismatchError } from '../errors';

/** A blob written to a temp file and checked; not yet visible under `blobs/`. */
export interface StagedBlob {
  tmp: string;
  digest: string;
  size: number;
}

/** Progress callback of a blob write: bytes written so far. */
export type BytesCallback = (bytes: number) => void;

/**
 * Streams `content` into a new temp file under `uploadsDir`, hashing and counting as it goes.
 * With `expected`, a longer stream fails at once and a wrong size or digest fails at the end;
 * the temp file is removed on every failure. No fsync here: the caller's batch issues one
 * barrier for all the blobs of an operation.
 */
export async function stageBlob(
  uploadsDir: string,
  tmpName: string,
  content: Readable | Uint8Array,
  expected?: Pick<Descriptor, 'digest' | 'size'>,
  onBytes?: BytesCallback,
): Promise<StagedBlob> {
  const tmp = join(uploadsDir, tmpName);
  const hash = expected ? hasherFor(expected.digest) : createHash('sha256');
  // A source that verifies this very descriptor fails before its end on wrong bytes; hashing
  // it again would only double the CPU cost. Sizes are still counted here.
  const trusted = expected !== undefined && selfVerifying(content, expected);
  const source = content instanceof Uint8Array ? Readable.from([Buffer.from(content)]) : content;
  let count = 0;
  try {
    // Layouts made by other tools (umoci, skopeo), or by a create a kill cut short, have no
    // staging directory yet.
    await fsp.mkdir(uploadsDir, { recursive: true });
    const fh = await fsp.open(tmp, 'wx', 0o644);
    // Chunks are gathered into ~1 MiB writev calls with one write in flight, so the disk write
    // of one batch overlaps hashing and receiving the next. 'data' events (not async iteration,
    // which concatenates buffered chunks into a new buffer) keep each chunk uncopied.
    let writing: Promise<void> | undefined;
    try {
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const startWrite = (): Promise<void> => {
        const bufs = batch;
        const want = batchBytes;
        batch = [];
        batchBytes = 0;
        const w = fh.writev(bufs).then(({ bytesWritten }) => {
          if (bytesWritten !== want) throw new Error(`short write to ${tmp}: ${bytesWritten} of ${want}`);
        }).finally(() => {
          if (writing === w) writing = undefined;
        });
        writing = w;
        return w;
      };
      await new Promise<void>((resolve, reject) => {
        const fail = (e: unknown) => {
          source.destroy(e as Error);
          reject(e);
        };
        source.on('data', (chunk: Buffer) => {
          count += chunk.length;
          if (expected && count > expected.size) {
            return fail(new SizeMismatchError(`content of ${expected.digest} is longer than ${expected.size} bytes`, { digest: expected.digest, expected: expected.size, actual: count }));
          }
          if (!trusted) hash.update(chunk);
          onBytes?.(count);
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes < 1 << 20) return;
          if (!writing) return void startWrite().catch(fail);
          source.pause();
          writing.then(() => {
            startWrite().catch(fail);
            source.resume();
          }, fail);
        });
        source.once('end', () => resolve());
        source.once('error', reject);
        source.once('close', () => {
          if (!source.readableEnded) reject(new Error('premature close'));
        });
      });
      if (writing) await writing;
      if (batchBytes) await startWrite();
    } finally {
      await writing?.catch(() => undefined); // never close the fd under a running write
      await fh.close();
    }
    if (expected) {
      const err = trusted
        ? count === expected.size ? undefined : new SizeMismatchError(`content of ${expected.digest} has ${count} bytes, expected ${expected.size}`, { digest: expected.digest, expected: expected.size, actual: count })
        : checkDigest(expected, count, hash);
      if (err) throw err;
      return { tmp, digest: expected.digest, size: count };
    }
    return { tmp, digest: `sha256:${hash.digest('hex')}`, size: count };
  } catch (e) {
    if (content instanceof Readable && !content.destroyed) content.destroy();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Hashes a file on disk; true when it matches the descriptor's size and digest. */
export async function fileMatches(path: string, desc: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
  const hash = hasherFor(desc.digest);
  let count = 0;
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
      count += (c as Buffer).length;
      if (count > desc.size) return false;
      hash.update(c as Buffer);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  return checkDigest(desc, count, hash) === undefined;
}
