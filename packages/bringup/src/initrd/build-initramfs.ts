import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BringupError } from '../errors';
import { realInitrdSys, type InitrdSys } from '../sys';
import { sortCpioEntries } from './cpio-newc';
import { assertCompression, DEFAULT_INITRD_COMPRESSION, type InitrdCompression } from './compress';
import { sharedLibraries } from './elf-libs';
import { initScript } from './init-script';
import { initrdEntries } from './initrd-layout';
import { findKernel, loadModuleIndex } from './kernel-tree';
import { resolveModules } from './resolve-modules';
import { writeArchive } from './write-archive';

/** The modules every mos initramfs loads (dependencies are added): disks, file systems (vfat mounts with iocharset=ascii by default on Debian, hence nls_ascii), verity, overlay, panic device. */
export const DEFAULT_INITRD_MODULES: readonly string[] = [
  'virtio_pci', 'virtio_blk', 'virtio_scsi', 'sd_mod', 'ahci', 'nvme', 'ext4', 'vfat', 'nls_cp437', 'nls_iso8859_1', 'nls_ascii',
  'dm_verity', 'squashfs', 'overlay', 'loop', 'pvpanic_mmio', 'pvpanic_pci',
];

/** Hardware drivers a kernel may lack or build in: absent is not an error, only reported. */
export const OPTIONAL_INITRD_MODULES: readonly string[] = ['ahci', 'nvme', 'virtio_scsi', 'sd_mod', 'pvpanic_mmio', 'pvpanic_pci'];

export interface BuildInitramfsOptions {
  /** A kernel tree: an unpacked `linux-image-*` .deb (`dpkg -x`), or `/`. Required. */
  kernelDir: string;
  /** The kernel version; default the only one under `kernelDir/lib/modules`. */
  kver?: string;
  /** The manifest CA (PEM) that becomes `/manifestCA.pem`, the only CA a boot trusts. Required. */
  ca: string;
  /** The output file. Required. Replaced atomically. */
  out: string;
  /** Default `zstd` ({@link DEFAULT_INITRD_COMPRESSION}). */
  compress?: InitrdCompression;
  /** The bringup bundle; default `dist/bringup.js` of this package. */
  bundle?: string;
  /** Module names to load; default {@link DEFAULT_INITRD_MODULES}. */
  modules?: readonly string[];
  /** Names added after `modules` (required, like them). */
  extraModules?: readonly string[];
  /** Names that may be missing from the tree; default {@link OPTIONAL_INITRD_MODULES}. */
  optionalModules?: readonly string[];
  /** The node binary; default `realpath(process.execPath)`. */
  node?: string;
  /** A statically linked busybox; default `/bin/busybox`. */
  busybox?: string;
  /** Default `/usr/sbin/dmsetup`. */
  dmsetup?: string;
  /** Extra files: host `src` → `dest` in the initramfs (mode default: the source's). */
  files?: ReadonlyArray<{ src: string; dest: string; mode?: number }>;
  /** The mtime of every member (seconds); default 0. */
  mtime?: number;
  /** The effect seam (ldd, busybox, compressors); default the real machine. */
  sys?: InitrdSys;
}

export interface BuildInitramfsResult {
  out: string;
  /** Bytes of the (compressed) file. */
  size: number;
  /** sha256 hex of the file. */
  sha256: string;
  kver: string;
  compress: InitrdCompression;
  /** Module files as listed in `/etc/mos/modules` (relative to `/lib/modules/KVER`), load order. */
  modules: string[];
  /** Number of archive members (trailer excluded). */
  files: number;
  /** Optional modules the kernel has neither as a module nor built in. */
  missingModules: string[];
  /** Soft dependencies that matched nothing, and similar notes. */
  warnings: string[];
}

function fail(code: 'ERR_BRINGUP_BAD_OPTION' | 'ERR_BRINGUP_FILE_NOT_FOUND', message: string, details: Record<string, unknown>): never {
  throw new BringupError(code, message, { details });
}

function assertFile(what: string, p: unknown, hint = ''): string {
  if (typeof p !== 'string' || p === '') fail('ERR_BRINGUP_BAD_OPTION', `buildInitramfs: ${what} is required`, { option: what });
  if (!existsSync(p) || !statSync(p).isFile()) fail('ERR_BRINGUP_FILE_NOT_FOUND', `${what} ${p} is not a file${hint}`, { option: what, path: p });
  return p;
}

/** This package's root directory (with `package.json`), whether we run from `src` or `dist`. */
export function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@mos/bringup') return dir;
  }
  throw new BringupError('ERR_BRINGUP_FILE_NOT_FOUND', `cannot find the @mos/bringup package above ${__dirname}`, { details: { dir: __dirname } });
}

/** This package's `dist/bringup.js`. */
export function defaultBundlePath(): string {
  return join(packageRoot(), 'dist', 'bringup.js');
}

/**
 * Builds the mos initramfs, reproducibly: the same inputs give the same bytes (sorted members,
 * one mtime, uid/gid 0, sequential inodes, a deterministic compressor). It finds the kernel
 * version, orders the modules (dependencies first, softdeps through aliases, built-ins
 * skipped), collects the libraries of node and dmsetup with `ldd`, and streams everything
 * through the compressor into a temp file that is renamed to `out`.
 *
 * @example
 * ```ts
 * import { buildInitramfs } from '@mos/bringup';
 * const r = await buildInitramfs({ kernelDir: '/var/cache/mos-test/k', ca: 'manifestCA.pem', out: 'initrd.img' });
 * // { out: 'initrd.img', size: 37_600_000, sha256: '…', kver: '6.1.0-57-amd64', modules: ['kernel/drivers/virtio/virtio.ko', …], files: 520, … }
 * ```
 */
export async function buildInitramfs(opts: BuildInitramfsOptions): Promise<BuildInitramfsResult> {
  const sys = opts.sys ?? realInitrdSys;
  if (typeof opts.kernelDir !== 'string' || !existsSync(opts.kernelDir))
    fail('ERR_BRINGUP_FILE_NOT_FOUND', `kernel tree ${String(opts.kernelDir)} does not exist (unpack one with: apt-get download linux-image-$(uname -r) && dpkg -x linux-image-*.deb DIR)`, { kernelDir: opts.kernelDir });
  const ca = assertFile('ca', opts.ca);
  if (!/-----BEGIN CERTIFICATE-----/.test(readFileSync(ca, 'latin1'))) fail('ERR_BRINGUP_BAD_OPTION', `ca ${ca} holds no PEM certificate`, { ca });
  const bundle = assertFile('bundle', opts.bundle ?? defaultBundlePath(), opts.bundle ? '' : ' (build the bringup bundle first, or pass bundle)');
  const node = assertFile('node', opts.node ?? realpathSync(process.execPath));
  const busybox = assertFile('busybox', opts.busybox ?? '/bin/busybox', ' (install busybox-static)');
  const dmsetup = assertFile('dmsetup', opts.dmsetup ?? '/usr/sbin/dmsetup', ' (install dmsetup)');
  if (typeof opts.out !== 'string' || opts.out === '') fail('ERR_BRINGUP_BAD_OPTION', 'buildInitramfs: out is required', { option: 'out' });
  const out = resolve(opts.out);
  if (!existsSync(dirname(out))) fail('ERR_BRINGUP_FILE_NOT_FOUND', `the directory of ${out} does not exist`, { out });
  const compress = assertCompression(opts.compress ?? DEFAULT_INITRD_COMPRESSION);
  if (opts.mtime !== undefined && !(Number.isInteger(opts.mtime) && opts.mtime >= 0 && opts.mtime <= 0xffffffff))
    fail('ERR_BRINGUP_BAD_OPTION', `mtime must be whole seconds in 0..2^32-1, not ${opts.mtime}`, { mtime: opts.mtime });
  const files = (opts.files ?? []).map((f) => ({ ...f, src: assertFile(`files entry for ${f.dest}`, f.src) }));

  const kernel = await findKernel(opts.kernelDir, opts.kver);
  const index = await loadModuleIndex(kernel.modulesDir);
  const resolved = await resolveModules(index, {
    modules: [...(opts.modules ?? DEFAULT_INITRD_MODULES), ...(opts.extraModules ?? [])],
    optional: opts.optionalModules ?? OPTIONAL_INITRD_MODULES,
  });

  await sharedLibraries(busybox, { static: true, sys });
  const libraries = [...new Set([...(await sharedLibraries(node, { sys })), ...(await sharedLibraries(dmsetup, { sys }))])];
  const applets = (await sys.run(busybox, ['--list-full'])).stdout.split('\n').filter(Boolean);

  const entries = sortCpioEntries(
    initrdEntries({ kver: kernel.kver, modulesDir: kernel.modulesDir, modules: resolved.files, ca, bundle, node, dmsetup, busybox, libraries, applets, files, init: initScript() }),
  );
  const { size, sha256 } = await writeArchive(entries, { out, compress, mtime: opts.mtime, sys });
  return { out, size, sha256, kver: kernel.kver, compress, modules: resolved.files, files: entries.length, missingModules: resolved.missing, warnings: resolved.warnings };
}
