import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

class Counter extends Transform {
  count = 0;
  constructor(private readonly hash: Hash | undefined, private readonly limit: number | undefined, private readonly digest: string, private readonly onBytes?: BytesCallback) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.limit !== undefined && this.count > this.limit) {
      cb(new SizeMismatchError(`content of ${this.digest} is longer than ${this.limit} bytes`, { digest: this.digest, expected: this.limit, actual: this.count }));
      return;
    }
    this.hash?.update(chunk);
    this.onBytes?.(this.count);
    cb(null, chunk);
  }
}

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
  const counter = new Counter(trusted ? undefined : hash, expected?.size, expected?.digest ?? 'blob', onBytes);
  const source = content instanceof Uint8Array ? Readable.from([Buffer.from(content)]) : content;
  try {
    await pipeline(source, counter, createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 }));
    if (expected) {
      const err = trusted
        ? counter.count === expected.size ? undefined : new SizeMismatchError(`content of ${expected.digest} has ${counter.count} bytes, expected ${expected.size}`, { digest: expected.digest, expected: expected.size, actual: counter.count })
        : checkDigest(expected, counter.count, hash);
      if (err) throw err;
      return { tmp, digest: expected.digest, size: counter.count };
    }
    return { tmp, digest: `sha256:${hash.digest('hex')}`, size: counter.count };
  } catch (e) {
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
