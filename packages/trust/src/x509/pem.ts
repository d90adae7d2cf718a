import { BadPemError } from '../errors';

/** One `-----BEGIN <type>-----` block. */
export interface PemBlock {
  type: string;
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * Splits PEM text into its blocks, in order. Text between blocks (openssl's human-readable
 * dumps, comments) is ignored, as openssl does.
 */
export function splitPem(text: string | Buffer, what = 'input'): PemBlock[] {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  const out: PemBlock[] = [];
  for (const m of s.matchAll(BLOCK)) {
    const body = m[2].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new BadPemError(`${what}: PEM block "${m[1]}" is not valid base64`);
    }
    out.push({ type: m[1], der: Buffer.from(body, 'base64') });
  }
  return out;
}

/** Encodes DER as one PEM block with 64-column lines. */
export function toPem(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
