import { isAbsolute } from 'node:path';
import { UnsafePathError } from '../errors';

/**
 * Normalises a path inside a layer ("./a//b/" → "a/b"; "." or "./" → "" for the root) and
 * refuses what could escape the layer root: absolute names, `..` components, NUL.
 */
export function normalizeMemberPath(name: string, what = 'tar member'): string {
  if (name.includes('\0')) throw new UnsafePathError(`${what} name contains NUL`, { name });
  if (name.startsWith('/')) throw new UnsafePathError(`${what} ${JSON.stringify(name)} is absolute`, { name });
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafePathError(`${what} ${JSON.stringify(name)} contains ".."`, { name });
  return parts.join('/');
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A name that becomes one path component under scratch (layer ids): no `/`, no `..`, no NUL. */
export function assertSafeId(id: string, what = 'layer id'): string {
  if (!ID_RE.test(id)) throw new UnsafePathError(`${what} ${JSON.stringify(id)} must match ${ID_RE}`, { id });
  return id;
}

/**
 * An absolute path that goes into an overlay option string or mountinfo: overlay splits
 * options on `,` and lowerdirs on `:`, and mountinfo escapes whitespace and backslashes, so
 * those characters (and control characters) are refused rather than escaped.
 */
export function assertMountPath(p: string, what: string): string {
  if (!isAbsolute(p)) throw new UnsafePathError(`${what} must be an absolute path: ${JSON.stringify(p)}`, { path: p });
  // eslint-disable-next-line no-control-regex
  if (/[,:\\\s\x00-\x1f\x7f]/.test(p)) {
    throw new UnsafePathError(`${what} ${JSON.stringify(p)} contains a character overlayfs options cannot carry (",", ":", "\\", whitespace, control)`, { path: p });
  }
  return p;
}
