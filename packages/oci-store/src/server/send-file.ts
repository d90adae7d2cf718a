import type { ServerResponse } from 'node:http';
import { promises as fsp } from 'node:fs';
import { DigestMismatchError } from '../errors';
import { hasherFor } from '../format/digest';

const CHUNK = 1 << 20;

/**
 * Writes bytes `start..end` (inclusive) of a file to a response through two reused 1 MiB
 * buffers (no allocation per chunk: Go's registry uses sendfile, we at least avoid the garbage).
 * A buffer is refilled only after the socket took its previous content. With `verify`, the
 * whole file is hashed on the way and the last chunk is written only when the digest matches,
 * so a corrupt blob never reaches the client complete.
 */
export async function sendFile(res: ServerResponse, path: string, start: number, end: number, verify?: { digest: string }): Promise<void> {
  const fh = await fsp.open(path, 'r');
  const hash = verify ? hasherFor(verify.digest) : undefined;
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  const written: Array<Promise<void> | undefined> = [undefined, undefined];
  try {
    let pos = start;
    for (let i = 0; pos <= end; i ^= 1) {
      await written[i]; // the socket has this buffer's previous content
      const want = Math.min(CHUNK, end - pos + 1);
      const { bytesRead } = await fh.read(bufs[i], 0, want, pos);
      if (bytesRead === 0) throw new Error(`${path} is shorter than expected`);
      const chunk = bufs[i].subarray(0, bytesRead);
      pos += bytesRead;
      if (hash) {
        hash.update(chunk);
        if (pos > end) {
          const actual = `${verify!.digest.split(':')[0]}:${hash.digest('hex')}`;
          if (actual !== verify!.digest) throw new DigestMismatchError(`${path} hashes to ${actual}`, { expected: verify!.digest, actual });
        }
      }
      if (res.destroyed) throw new Error('client went away');
      written[i] = new Promise<void>((resolve, reject) => res.write(chunk, (e) => (e ? reject(e) : resolve())));
      written[i]!.catch(() => undefined);
    }
    await Promise.all(written);
    res.end();
  } finally {
    await fh.close();
  }
}
