import { createReadStream } from 'node:fs';
import { createVerify, verify, type KeyObject } from 'node:crypto';
import { BadSignatureError } from '../errors';
import { assertSupportedKey, publicKey } from './keys';

type KeyInput = string | Buffer | KeyObject;

/**
 * Verifies a detached SHA-256 signature (RSA PKCS#1 v1.5 or DER ECDSA) made by
 * `openssl dgst -sha256 -sign` or {@link signDetached}. Throws {@link BadSignatureError} when it
 * does not verify, including a truncated or garbage signature.
 *
 * @example
 * import { verifyDetached } from '@mos/trust';
 * verifyDetached({ data, signature, key: certPem });
 */
export function verifyDetached(opts: { data: Buffer; signature: Buffer; key: KeyInput }): void {
  const key = publicKey(opts.key);
  assertSupportedKey(key, 'verification key');
  let ok = false;
  try {
    ok = verify('sha256', opts.data, key, opts.signature);
  } catch {
    ok = false; // malformed DER in an ECDSA signature throws instead of returning false
  }
  if (!ok) throw new BadSignatureError('the signature does not verify over the data with the given key');
}

/** Like {@link verifyDetached}, streaming a file of any size. */
export async function verifyFile(opts: { path: string; signature: Buffer; key: KeyInput }): Promise<void> {
  const key = publicKey(opts.key);
  assertSupportedKey(key, 'verification key');
  const v = createVerify('sha256');
  for await (const chunk of createReadStream(opts.path)) v.update(chunk as Buffer);
  let ok = false;
  try {
    ok = v.verify(key, opts.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new BadSignatureError(`the signature does not verify over ${opts.path} with the given key`);
}
