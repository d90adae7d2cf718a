import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { ExistsError, NotFoundError } from '../errors';
import type { KeyPairPem } from './cert-builder';

/** Writes `privkey.pem` (0600) and `cert.pem` (0640) of one key directory. */
export async function writeKeyDir(dir: string, keys: KeyPairPem, certPem: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  await writeFile(join(dir, 'privkey.pem'), keys.privateKeyPem, { mode: 0o600 });
  await writeFile(join(dir, 'cert.pem'), certPem, { mode: 0o640 });
  // The mode passed to writeFile is masked by the umask; the key must be 0600 regardless.
  await chmod(join(dir, 'privkey.pem'), 0o600);
  await chmod(join(dir, 'cert.pem'), 0o640);
}

/** Reads a key directory that must exist. */
export async function readKeyDir(dir: string, what: string): Promise<{ certPem: string; privateKeyPem: string }> {
  if (!existsSync(join(dir, 'cert.pem'))) throw new NotFoundError(`${what} not found (no ${join(dir, 'cert.pem')})`);
  return {
    certPem: await readFile(join(dir, 'cert.pem'), 'utf8'),
    privateKeyPem: await readFile(join(dir, 'privkey.pem'), 'utf8'),
  };
}

/**
 * Creates directory `dest` by filling a temp sibling and renaming it into place, so a failure
 * or a crash never leaves a half-made keyset, project or SUDI behind.
 */
export async function createAtomically(dest: string, what: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  if (existsSync(dest)) throw new ExistsError(`${what} already exists (${dest})`);
  await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { mode: 0o750 });
  try {
    await fill(tmp);
    if (existsSync(dest)) throw new ExistsError(`${what} already exists (${dest})`);
    await rename(tmp, dest).catch((e: NodeJS.ErrnoException) => {
      // A concurrent creator won between the check above and the rename.
      throw e.code === 'ENOTEMPTY' || e.code === 'EEXIST' ? new ExistsError(`${what} already exists (${dest})`, { cause: e }) : e;
    });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
