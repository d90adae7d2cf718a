import { isAbsolute, resolve } from 'node:path';
import { invalid } from './errors';

// The manifest's safe-name rule (1-64 of [A-Za-z0-9._-], not starting with '.' or '-'), checked
// again here because every name becomes a path, an lxc name and an iptables comment.
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Throws `ERR_SERVICES_INVALID` unless `name` is a safe target name (no `/`, `..`, NUL…). */
export function assertTargetName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SAFE.test(name)) {
    throw invalid(`target name ${JSON.stringify(name)} is not valid: use 1-64 of A-Z a-z 0-9 . _ - (not starting with . or -)`, { name });
  }
}

/** Throws unless `root` is an absolute path without NUL. */
export function assertRoot(root: unknown): asserts root is string {
  if (typeof root !== 'string' || !isAbsolute(root) || root.includes('\0')) {
    throw invalid(`root ${JSON.stringify(root)} must be an absolute path`, { root });
  }
}

/** `root` made absolute (relative to the cwd): the supervisor has its own cwd, so it gets absolute paths. */
export function absoluteRoot(root: unknown): string {
  if (typeof root !== 'string' || root === '' || root.includes('\0')) throw invalid(`root ${JSON.stringify(root)} must be a path`, { root });
  return resolve(root);
}
