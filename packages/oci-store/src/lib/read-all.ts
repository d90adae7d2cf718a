import type { Readable } from 'node:stream';
import { TooLargeError } from '../errors';

/** Reads a (small) stream into memory, failing once it exceeds `cap` bytes. */
export async function readAll(stream: Readable, cap: number, what = 'content'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
      n += b.length;
      if (n > cap) throw new TooLargeError(`${what} is larger than ${cap} bytes`, { cap });
      chunks.push(b);
    }
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  return Buffer.concat(chunks, n);
}

/** Default cap for JSON blobs read into memory (the distribution spec's manifest limit). */
export const JSON_CAP = 4 << 20;
