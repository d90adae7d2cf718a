import { createHash, hash } from 'node:crypto';
import { readvSync } from 'node:fs';
import { VerityTruncatedError } from '../errors';
import { DIGEST_SIZE } from './geometry';

/**
 * Data is read straight into "strides" of salt ‖ block (readv with one iovec per block), so
 * each digest is one call of the one-shot crypto.hash over contiguous bytes: no copy, and about
 * half the per-block call overhead of createHash().update(salt).update(block).digest().
 */
export class StridedReader {
  readonly stride: number;
  readonly buf: Buffer;
  private readonly iov: Buffer[];
  // Views made once: a subarray per block per read would be an allocation per digest.
  private readonly strides: Buffer[];
  constructor(
    readonly salt: Buffer,
    readonly blockSize: number,
    readonly perRead: number,
  ) {
    this.stride = salt.length + blockSize;
    this.buf = Buffer.alloc(this.stride * perRead);
    this.iov = [];
    this.strides = [];
    for (let i = 0; i < perRead; i++) {
      salt.copy(this.buf, i * this.stride);
      this.iov.push(this.buf.subarray(i * this.stride + salt.length, (i + 1) * this.stride));
      this.strides.push(this.buf.subarray(i * this.stride, (i + 1) * this.stride));
    }
  }
  /** The iovecs to read `n` blocks into, starting `skip` bytes into the first one (short reads). */
  iovecs(n: number, skip: number): Buffer[] {
    const first = Math.floor(skip / this.blockSize);
    const v = this.iov.slice(first, n);
    if (v.length) v[0] = v[0].subarray(skip - first * this.blockSize);
    return v;
  }
  /** Writes H(salt ‖ block i) of the first `n` strides into `out` at `outOffset`. */
  digest(n: number, out: Buffer, outOffset: number): void {
    for (let i = 0; i < n; i++) hash('sha256', this.strides[i], 'buffer').copy(out, outOffset + i * DIGEST_SIZE);
  }
  /** Hashes blocks [first, first+count) of the open file `fd` into `out` (slot 0 = block `first`). */
  hashRangeSync(fd: number, file: string, first: number, count: number, out: Buffer, outOffset: number): void {
    const bs = this.blockSize;
    for (let done = 0; done < count; ) {
      const n = Math.min(count - done, this.perRead);
      for (let got = 0; got < n * bs; ) {
        const r = readvSync(fd, this.iovecs(n, got), (first + done) * bs + got);
        if (r === 0) throw truncated(file, first + done + Math.floor(got / bs));
        got += r;
      }
      this.digest(n, out, outOffset + done * DIGEST_SIZE);
      done += n;
    }
  }
}

/** The error for a file that ends inside the data area. */
export function truncated(file: string, block: number): VerityTruncatedError {
  return new VerityTruncatedError(`${file}: ends inside data block ${block}`, { file, block });
}

/** H(salt ‖ block) for each of `count` blocks of `buf`, written as 32-byte slots into `out`. */
export function hashBlocksInto(buf: Buffer, count: number, blockSize: number, salt: Buffer, out: Buffer, outOffset: number): void {
  for (let i = 0; i < count; i++) {
    createHash('sha256')
      .update(salt)
      .update(buf.subarray(i * blockSize, (i + 1) * blockSize))
      .digest()
      .copy(out, outOffset + i * DIGEST_SIZE);
  }
}
