import { accessSync, constants, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from '@mos/test-utils';

/** True when a new file can be created under `dir` (false on a read-only mount). */
export function writable(dir: string): boolean {
  try {
    writeFileSync(join(dir, `.probe-${process.pid}`), 'x');
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS') return false;
    throw e;
  }
}

/** Asserts `dest` is an overlay mount showing the busybox fixture. */
export function looksLikeBusybox(dest: string): boolean {
  accessSync(join(dest, 'bin', 'busybox'), constants.X_OK);
  return existsSync(join(dest, 'etc', 'hostname')) && mountsUnder(dest).includes(dest);
}
