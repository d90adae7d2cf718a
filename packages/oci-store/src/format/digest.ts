import { createHash, type Hash } from 'node:crypto';
import { InvalidDigestError } from '../errors';

/** Hash algorithms we can verify; sha256 is the one we write. */
export type DigestAlgorithm = 'sha256' | 'sha512';

const ENCODED_LEN: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A digest split into its parts. */
export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

/**
 * Parses and validates `alg:hex`. Only registered algorithms with lower-case hex of the right
 * length pass, so the encoded part is always safe as a file name.
 *
 * @example
 * import { parseDigest } from '@mos/oci-store';
 * parseDigest('sha256:44136f…8a'); // { algorithm: 'sha256', encoded: '44136f…8a' }
 */
export function parseDigest(digest: unknown): ParsedDigest {
  if (typeof digest !== 'string' || !GRAMMAR.test(digest)) {
    throw new InvalidDigestError(`invalid digest ${JSON.stringify(String(digest)).slice(0, 100)}`, { digest: String(digest).slice(0, 200) });
  }
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const encoded = digest.slice(i + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new InvalidDigestError(`unsupported digest algorithm "${algorithm}"`, { digest });
  }
  if (encoded.length !== ENCODED_LEN[algorithm] || !/^[a-f0-9]+$/.test(encoded)) {
    throw new InvalidDigestError(`digest ${digest} is not lower-case hex of length ${ENCODED_LEN[algorithm]}`, { digest });
  }
  return { algorithm, encoded };
}

/** True when `s` is a valid digest we can verify. */
export function isDigest(s: unknown): s is string {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

/** A new hash object for the digest's algorithm. */
export function hasherFor(digest: string): Hash {
  return createHash(parseDigest(digest).algorithm);
}

/** The sha256 digest (`sha256:<hex>`) of bytes in memory. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest of `bytes` under the same algorithm as `like`. */
export function digestLike(like: string, bytes: Uint8Array): string {
  const { algorithm } = parseDigest(like);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
