import type { TarHeader } from './tar-reader';

const BLOCK = 512;
const MAX_OCTAL_8 = 0o7777777; // largest value of an 8-byte octal field
const MAX_OCTAL_12 = 0o77777777777;

/**
 * Encodes one entry's header: a pax extended header when a value does not fit ustar (long or
 * non-ASCII names, xattrs, big ids or sizes), then the ustar header. The caller writes the data
 * and {@link padding} after it.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: [string, string | Buffer][] = [];
  const fits = (s: string) => Buffer.byteLength(s) < 100 && /^[\x20-\x7e]*$/.test(s);
  if (!fits(h.name)) pax.push(['path', h.name]);
  if (h.linkname && !fits(h.linkname)) pax.push(['linkpath', h.linkname]);
  if (h.size > MAX_OCTAL_12) pax.push(['size', String(h.size)]);
  if (h.uid > MAX_OCTAL_8) pax.push(['uid', String(h.uid)]);
  if (h.gid > MAX_OCTAL_8) pax.push(['gid', String(h.gid)]);
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_12) pax.push(['mtime', String(h.mtime)]);
  for (const [k, v] of Object.entries(h.xattrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) pax.push([`SCHILY.xattr.${k}`, v]);
  const main = ustar({
    ...h,
    name: fits(h.name) ? h.name : `long/${Buffer.from(h.name).length}`,
    linkname: h.linkname && !fits(h.linkname) ? '' : h.linkname,
  });
  if (pax.length === 0) return main;
  const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  const paxHeader = ustar({ name: 'PaxHeaders/entry', type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: {} });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes needed after `size` bytes of data to reach the next 512-byte block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

function paxRecord(k: string, v: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${k}=`), typeof v === 'string' ? Buffer.from(v) : v, Buffer.from('\n')]);
  const n = body.length;
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length; // the length counts its own digits
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function ustar(h: TarHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, Math.min(h.uid, MAX_OCTAL_8));
  octal(b, 116, 8, Math.min(h.gid, MAX_OCTAL_8));
  octal(b, 124, 12, Math.min(h.size, MAX_OCTAL_12));
  octal(b, 136, 12, Math.max(0, Math.min(h.mtime, MAX_OCTAL_12)));
  b.write(h.type, 156, 1, 'latin1');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'latin1');
  octal(b, 329, 8, h.devmajor);
  octal(b, 337, 8, h.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

function octal(b: Buffer, o: number, l: number, v: number): void {
  b.write(v.toString(8).padStart(l - 1, '0') + '\0', o, l, 'latin1');
}
