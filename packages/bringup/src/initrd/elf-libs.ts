import { existsSync } from 'node:fs';
import { BringupError } from '../errors';
import { realInitrdSys, type InitrdSys } from '../sys';

/** What `ldd` said about a binary. */
export interface LddReport {
  /** `ldd` called it "not a dynamic executable" or "statically linked". */
  static: boolean;
  /** Absolute paths of the shared libraries, in `ldd` order, the loader last. */
  libraries: string[];
  /** The program interpreter (`/lib64/ld-linux-x86-64.so.2`). */
  loader?: string;
  /** Sonames `ldd` could not find (`libfoo.so.1 => not found`). */
  notFound: string[];
}

/**
 * Parses the output of `ldd BINARY`: `name => /path (0x…)` lines, the loader's `/path (0x…)`
 * line, `name => not found`, and the static markers. The vDSO (no file) is left out.
 *
 * @example
 * ```ts
 * import { parseLdd } from '@mos/bringup';
 * parseLdd('\tlinux-vdso.so.1 (0x00007ff…)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f…)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f…)\n');
 * // { static: false, libraries: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'], loader: '/lib64/ld-linux-x86-64.so.2', notFound: [] }
 * ```
 */
export function parseLdd(stdout: string, stderr = ''): LddReport {
  const text = `${stdout}\n${stderr}`;
  const report: LddReport = { static: /not a dynamic executable|statically linked/.test(text), libraries: [], notFound: [] };
  let loader: string | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+) => not found$/.exec(line))) report.notFound.push(m[1]);
    else if ((m = /^\S+ => (\/\S+)(?: \(0x[0-9a-f]+\))?$/.exec(line))) {
      if (!report.libraries.includes(m[1])) report.libraries.push(m[1]);
    } else if ((m = /^(\/\S+)(?: \(0x[0-9a-f]+\))?$/.exec(line))) loader = m[1];
  }
  if (loader) {
    report.loader = loader;
    if (!report.libraries.includes(loader)) report.libraries.push(loader);
  }
  return report;
}

/**
 * The shared libraries `binary` needs, as absolute paths (the loader included), from `ldd`.
 * Each path is where the loader will look, so the initramfs must hold the real file at that
 * path (the archive writer follows symlinks when it reads the source). A binary that is static
 * when `opts.static` is not set, dynamic when it is, or has a library `ldd` cannot find, is an
 * `ERR_BRINGUP_BINARY_UNSUITABLE` error. A static binary needs nothing: `[]`.
 *
 * @example
 * ```ts
 * import { sharedLibraries } from '@mos/bringup';
 * await sharedLibraries('/usr/sbin/dmsetup'); // ['/lib/x86_64-linux-gnu/libdevmapper.so.1.02.1', …, '/lib64/ld-linux-x86-64.so.2']
 * await sharedLibraries('/bin/busybox', { static: true }); // []
 * ```
 */
export async function sharedLibraries(binary: string, opts: { static?: boolean; sys?: InitrdSys } = {}): Promise<string[]> {
  if (!existsSync(binary)) throw new BringupError('ERR_BRINGUP_FILE_NOT_FOUND', `${binary} does not exist`, { details: { binary } });
  const { stdout, stderr } = await (opts.sys ?? realInitrdSys).run('ldd', [binary], { allowFail: true });
  const r = parseLdd(stdout, stderr);
  const unsuitable = (message: string) => new BringupError('ERR_BRINGUP_BINARY_UNSUITABLE', message, { details: { binary, ldd: (stdout + stderr).slice(0, 2000) } });
  if (opts.static) {
    if (!r.static) throw unsuitable(`${binary} must be statically linked, but ldd lists libraries (${r.libraries.join(', ')}); install busybox-static`);
    return [];
  }
  if (r.static) throw unsuitable(`ldd calls ${binary} "not a dynamic executable": expected a dynamically linked program (or it is not an ELF binary)`);
  if (r.notFound.length) throw unsuitable(`${binary} needs libraries that ldd cannot find: ${r.notFound.join(', ')}`);
  if (!r.loader || r.libraries.length === 0) throw unsuitable(`ldd gave no loader for ${binary}: ${(stdout + stderr).trim().slice(0, 200)}`);
  return r.libraries;
}
