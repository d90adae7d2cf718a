import { isIPv4, isIPv6 } from 'node:net';

/**
 * A name that becomes a path component, a tag or an lxc container name: letters, digits,
 * `.`, `_`, `-`; not starting with `.` or `-` (so never `.`/`..` or an option); 1-64 chars.
 */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
export const isSafeName = (s: string) => SAFE_NAME.test(s);

/** An OCI digest as mos pins images: sha256 with 64 lowercase hex digits. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Free text (versions, products) must still be printable and bounded. */
export const hasControlChars = (s: string) => /[\x00-\x1f\x7f]/.test(s);

/** An nsgroup is "" or "none" (no user namespace) or a safe name. */
export const isNoNsgroup = (s: string) => s === '' || s === 'none';

/** `a.b.c.d` or `a.b.c.d/len`. */
export function isIPv4Cidr(s: string): boolean {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || !isIPv4(addr)) return false;
  return len === undefined || (/^\d{1,2}$/.test(len) && Number(len) <= 32);
}

/** An IPv6 address, optionally with `/len`. */
export function isIPv6Cidr(s: string): boolean {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || !isIPv6(addr)) return false;
  return len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= 128);
}

/**
 * A mount destination inside a container: absolute, no `.`/`..` segments, no empty segments,
 * not `/` itself, printable, bounded.
 */
export function isSafeDest(s: string): boolean {
  if (!s.startsWith('/') || s.length > 4096 || hasControlChars(s)) return false;
  const parts = s.slice(1).split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..');
}
