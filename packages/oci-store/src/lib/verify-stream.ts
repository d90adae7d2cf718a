import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, SizeMismatchError } from '../errors';
import { hasherFor } from '../format/digest';
import type { Descriptor } from '../format/types';

/**
 * Marks a stream that verifies its own content and fails before its end when the bytes do not
 * match `"<digest>:<size>"`: a writer receiving such a stream for the same descriptor need not
 * hash it a second time (it still counts the bytes).
 */
export const VERIFIES = Symbol.for('@mos/oci-store.verifies');

/** True when `s` is marked as verifying exactly `desc`. */
export function selfVerifying(s: unknown, desc: Pick<Descriptor, 'digest' | 'size'>): boolean {
  return (s as { [VERIFIES]?: string })?.[VERIFIES] === `${desc.digest}:${desc.size}`;
}

/**
 * A pass-through stream that hashes and counts what flows through it and fails with
 * `ERR_OCI_SIZE_MISMATCH` (more bytes than expected: at once; fewer: at the end) or
 * `ERR_OCI_DIGEST_MISMATCH` (at the end). A consumer therefore never sees a clean end of
 * stream for wrong content (umoci `verified_reader.go`).
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private count = 0;
  constructor(
    private readonly expected: Pick<Descriptor, 'digest' | 'size'>,
    /** Bytes already hashed elsewhere (resume): the hash object continues from there. */
    resume?: { hash: Hash; count: number },
  ) {
    super({ highWaterMark: 1 << 20 });
    (this as { [VERIFIES]?: string })[VERIFIES] = `${expected.digest}:${expected.size}`;
    this.hash = resume?.hash ?? hasherFor(expected.digest);
    this.count = resume?.count ?? 0;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.expected.size) {
      cb(new SizeMismatchError(`content of ${this.expected.digest} is longer than ${this.expected.size} bytes`, {
        digest: this.expected.digest, expected: this.expected.size, actual: this.count,
      }));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(checkDigest(this.expected, this.count, this.hash) ?? null);
  }
}

/** The mismatch error for (count, hash) against a descriptor, or undefined when it matches. */
export function checkDigest(expected: Pick<Descriptor, 'digest' | 'size'>, count: number, hash: Hash) {
  if (count !== expected.size) {
    return new SizeMismatchError(`content of ${expected.digest} has ${count} bytes, expected ${expected.size}`, {
      digest: expected.digest, expected: expected.size, actual: count,
    });
  }
  const actual = `${expected.digest.slice(0, expected.digest.indexOf(':'))}:${hash.digest('hex')}`;
  if (actual !== expected.digest) {
    return new DigestMismatchError(`content hashes to ${actual}, expected ${expected.digest}`, {
      expected: expected.digest, actual,
    });
  }
  return undefined;
}

/** Verifies bytes in memory against a descriptor; throws the mismatch error. */
export function verifyBytes(expected: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array): void {
  const h = hasherFor(expected.digest);
  h.update(bytes);
  const err = checkDigest(expected, bytes.length, h);
  if (err) throw err;
}
