import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { InvalidNameError, NotFoundError } from '../errors';

/**
 * A name that becomes one path component: no `/`, no `..`, no NUL or control characters, no
 * leading `-` or `.`, at most 64 characters.
 */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

export function assertSafeName(kind: string, name: string): void {
  if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
    throw new InvalidNameError(
      `invalid ${kind} name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    );
  }
}

/**
 * Where keysets live: the explicit directory, else `$MOS_KEYSETS_DIR`, else the original's
 * `~/.local/share/machine/trust/keys`.
 */
export function keysetsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.MOS_KEYSETS_DIR ?? join(env.HOME ?? homedir(), '.local', 'share', 'machine', 'trust', 'keys');
}

/** Paths inside one keyset directory (§2.10 of the original's layout). */
export const keysetPaths = (dir: string) => ({
  key: (key: string) => join(dir, key),
  project: (project: string) => join(dir, 'manifest', project),
  sudi: (project: string, serial: string) => join(dir, 'manifest', project, 'sudi', serial),
});

/** Options every keyset operation takes. */
export interface KeysetOptions {
  /** Directory holding keysets (see {@link keysetsDir}). */
  dir?: string;
  /** Clock for validity periods; defaults to now. */
  now?: Date;
}

/** The directory of an existing keyset. */
export function keysetDir(opts: KeysetOptions & { keyset: string }): string {
  assertSafeName('keyset', opts.keyset);
  const dir = join(keysetsDir(opts.dir), opts.keyset);
  if (!existsSync(dir)) throw new NotFoundError(`keyset "${opts.keyset}" not found in ${keysetsDir(opts.dir)}`);
  return dir;
}
