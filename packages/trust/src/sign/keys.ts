import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { BadPemError, UnsupportedKeyError } from '../errors';

/**
 * Checks that a key is one we sign or verify with: RSA of at least 2048 bits (PKCS#1 v1.5,
 * as the original and `openssl dgst -sha256 -sign` use) or ECDSA on P-256. Everything else is
 * refused rather than silently accepted with weaker guarantees.
 */
export function assertSupportedKey(key: KeyObject, what: string): void {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((d.modulusLength ?? 0) < 2048) {
      throw new UnsupportedKeyError(`${what}: RSA key of ${d.modulusLength} bits; at least 2048 are required`);
    }
    return;
  }
  if (key.asymmetricKeyType === 'ec' && d.namedCurve === 'prime256v1') return;
  const kind = key.asymmetricKeyType === 'ec' ? `EC ${d.namedCurve}` : key.asymmetricKeyType;
  throw new UnsupportedKeyError(`${what}: ${kind} keys are not supported; use RSA (>= 2048) or ECDSA P-256`);
}

/** A private key from PEM (PKCS#8 or traditional) or an existing KeyObject. */
export function privateKey(key: string | Buffer | KeyObject, what = 'private key'): KeyObject {
  if (typeof key === 'object' && !Buffer.isBuffer(key)) return key;
  try {
    return createPrivateKey(key);
  } catch (e) {
    throw new BadPemError(`${what}: not a PEM private key`, { cause: e });
  }
}

/** A public key from PEM (SPKI or certificate) or an existing KeyObject. */
export function publicKey(key: string | Buffer | KeyObject, what = 'public key'): KeyObject {
  if (typeof key === 'object' && !Buffer.isBuffer(key)) return key.type === 'private' ? createPublicKey(key) : key;
  try {
    return createPublicKey(key);
  } catch (e) {
    throw new BadPemError(`${what}: not a PEM public key or certificate`, { cause: e });
  }
}
