import { createReadStream, promises as fsp } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { NotFoundError, SizeMismatchError } from '../errors';
import type { Descriptor } from '../format/types';
import { VerifyingStream, verifyBytes } from '../lib/verify-stream';

/**
 * A verifying stream over a file: the size is checked against the descriptor before the first
 * byte (fast failure), the digest at the end. A missing file throws `ERR_OCI_NOT_FOUND`,
 * unless the descriptor embeds its content (`data`), which is then served after verification.
 */
export async function openVerified(path: string, desc: Descriptor): Promise<Readable> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      if (desc.data !== undefined) {
        const bytes = Buffer.from(desc.data, 'base64');
        verifyBytes(desc, bytes);
        return Readable.from([bytes]);
      }
      throw new NotFoundError(`blob ${desc.digest} not found`, { digest: desc.digest }, { cause: e });
    }
    throw e;
  }
  try {
    const st = await fh.stat();
    if (st.size !== desc.size) {
      throw new SizeMismatchError(`blob ${desc.digest} has ${st.size} bytes on disk, expected ${desc.size}`, {
        digest: desc.digest, expected: desc.size, actual: st.size, path,
      });
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
  const rs = createReadStream('', { fd: fh, highWaterMark: 1 << 20 });
  const verifier = new VerifyingStream(desc);
  pipeline(rs, verifier, () => undefined); // errors surface on `verifier`
  return verifier;
}
