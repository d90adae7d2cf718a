/**
 * A minimal DER reader: just enough ASN.1 to read what node:crypto's X509Certificate does not
 * expose (keyUsage bits, pathLenConstraint, exact validity, raw issuer/subject names, CRLs).
 * It reads definite-length DER only, which is all X.509 allows.
 */
export interface Node {
  /** The full tag byte (class, constructed bit and number; we only need low-tag-number form). */
  tag: number;
  /** Offset of the first content byte in `buf`. */
  start: number;
  /** Offset one past the last content byte. */
  end: number;
  /** Offset of the tag byte (start of the whole TLV). */
  head: number;
  buf: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export class DerError extends Error {}

/** Reads the TLV at `offset`. */
export function readNode(buf: Buffer, offset = 0, limit = buf.length): Node {
  if (offset + 2 > limit) throw new DerError('truncated DER header');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high-tag-number form is not used in X.509');
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('DER value runs past its container');
  return { tag, start, end, head: offset, buf };
}

/** The children of a constructed node, in order. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let off = node.start; off < node.end; ) {
    const c = readNode(node.buf, off, node.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

/** Content bytes of a node (a view, not a copy). */
export const content = (n: Node): Buffer => n.buf.subarray(n.start, n.end);
/** The whole encoding of a node, tag and length included (a view). */
export const encoded = (n: Node): Buffer => n.buf.subarray(n.head, n.end);

export function expect(n: Node | undefined, tag: number, what: string): Node {
  if (!n || n.tag !== tag) throw new DerError(`expected ${what}`);
  return n;
}

/** Dotted-decimal form of an OBJECT IDENTIFIER. */
export function oid(n: Node): string {
  const b = content(n);
  if (b.length === 0) throw new DerError('empty OID');
  const parts: number[] = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** An INTEGER as lowercase hex without leading zero bytes (how serials are compared). */
export function integerHex(n: Node): string {
  const hex = content(n).toString('hex').replace(/^(00)+/, '');
  return hex === '' ? '0' : hex;
}

/** UTCTime or GeneralizedTime (the 'Z' forms X.509 requires) as a Date. */
export function time(n: Node): Date {
  const s = content(n).toString('latin1');
  let m: RegExpMatchArray | null;
  if (n.tag === TAG.UTC_TIME && (m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    const yy = Number(m[1]);
    return utc(yy >= 50 ? 1900 + yy : 2000 + yy, m.slice(2));
  }
  if (n.tag === TAG.GENERALIZED_TIME && (m = s.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    return utc(Number(m[1]), m.slice(2));
  }
  throw new DerError(`unsupported time encoding ${JSON.stringify(s)}`);
}

function utc(year: number, rest: string[]): Date {
  const [mo, d, h, mi, s] = rest.map(Number);
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}
