import { createReadStream } from 'node:fs';
import { createSign, sign, type KeyObject } from 'node:crypto';
import { assertSupportedKey, privateKey } from './keys';

/**
 * Signs bytes with SHA-256: RSA PKCS#1 v1.5, or ECDSA with a DER signature. The result is
 * byte-compatible with `openssl dgst -sha256 -sign key.pem` (RSA signatures are identical;
 * ECDSA signatures are randomised but verify either way).
 *
 * @example
 * import { signDetached } from '@mos/trust';
 * const sig = signDetached({ data: fs.readFileSync('install.json'), key: fs.readFileSync('privkey.pem') });
 */
export function signDetached(opts: { data: Buffer; key: string | Buffer | KeyObject }): Buffer {
  const key = privateKey(opts.key);
  assertSupportedKey(key, 'signing key');
  return sign('sha256', opts.data, key);
}

/** Like {@link signDetached}, streaming a file of any size. */
export async function signFile(opts: { path: string; key: string | Buffer | KeyObject }): Promise<Buffer> {
  const key = privateKey(opts.key);
  assertSupportedKey(key, 'signing key');
  const s = createSign('sha256');
  for await (const chunk of createReadStream(opts.path)) s.update(chunk as Buffer);
  return s.sign(key);
}
