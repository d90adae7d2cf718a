import { join } from 'node:path';
import type { CpioEntry } from './cpio-newc';
import { normalizeArchivePath } from './cpio-newc';
import { INITRD_PATHS } from './init-script';

/** Everything that goes into the initramfs, already found and resolved on the host. */
export interface InitrdContents {
  kver: string;
  /** The host directory `lib/modules/KVER` the module files come from. */
  modulesDir: string;
  /** Module files relative to `modulesDir`, in load order. */
  modules: readonly string[];
  /** Host paths of the inputs. */
  ca: string;
  bundle: string;
  node: string;
  dmsetup: string;
  busybox: string;
  /** Absolute paths of the shared libraries node and dmsetup need (the loader included). */
  libraries: readonly string[];
  /** The lines of `busybox --list-full` (`bin/sh`, `sbin/insmod`, `usr/bin/[`, …). */
  applets: readonly string[];
  /** Extra files: host `src` → `dest` inside the initramfs. */
  files: ReadonlyArray<{ src: string; dest: string; mode?: number }>;
  /** The text of `/init`. */
  init: string;
}

const APPLET_DIRS = new Set(['bin', 'sbin', 'usr/bin', 'usr/sbin']);

/**
 * The archive members of an initramfs, following the mos layout: `/init`, busybox and its
 * applet links, node, dmsetup, their libraries at the paths the loader asks for, the bringup
 * bundle, the manifest CA, the modules and their ordered list, the mount points, and
 * `/dev/console` + `/dev/null` (the kernel opens the console before `/init` runs, before
 * devtmpfs is mounted). Modes are fixed here, not copied from the host, where the host's
 * permission bits would only make the output vary between machines.
 *
 * @example
 * ```ts
 * import { initrdEntries, initScript } from '@mos/bringup';
 * const entries = initrdEntries({ kver, modulesDir, modules, ca, bundle, node, dmsetup, busybox, libraries, applets, files: [], init: initScript() });
 * ```
 */
export function initrdEntries(c: InitrdContents): CpioEntry[] {
  const real: CpioEntry[] = [
    { type: 'file', path: INITRD_PATHS.init, data: c.init, mode: 0o755 },
    { type: 'file', path: INITRD_PATHS.busybox, source: c.busybox, mode: 0o755 },
    { type: 'file', path: INITRD_PATHS.node, source: c.node, mode: 0o755 },
    { type: 'file', path: INITRD_PATHS.dmsetup, source: c.dmsetup, mode: 0o755 },
    { type: 'file', path: INITRD_PATHS.bundle, source: c.bundle, mode: 0o644 },
    { type: 'file', path: INITRD_PATHS.ca, source: c.ca, mode: 0o644 },
    { type: 'file', path: INITRD_PATHS.kver, data: `${c.kver}\n`, mode: 0o644 },
    { type: 'file', path: INITRD_PATHS.modules, data: c.modules.map((m) => `${m}\n`).join(''), mode: 0o644 },
    ...c.libraries.map((lib): CpioEntry => ({ type: 'file', path: lib, source: lib, mode: 0o755 })),
    ...c.modules.map((m): CpioEntry => ({ type: 'file', path: `/lib/modules/${c.kver}/${m}`, source: join(c.modulesDir, m), mode: 0o644 })),
    ...c.files.map((f): CpioEntry => ({ type: 'file', path: f.dest, source: f.src, ...(f.mode !== undefined ? { mode: f.mode } : {}) })),
    ...['proc', 'sys', 'dev', 'run', 'sysroot', 'etc'].map((d): CpioEntry => ({ type: 'dir', path: d, mode: 0o755 })),
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
  ];
  // Applet links never replace a real program we ship (or one of the extra files).
  const taken = new Set(real.map((e) => normalizeArchivePath(e.path)));
  const links = new Map<string, CpioEntry>();
  for (const line of c.applets) {
    const path = line.trim().replace(/^\/+/, '');
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (!path || !APPLET_DIRS.has(dir) || taken.has(path) || links.has(path)) continue;
    links.set(path, { type: 'symlink', path, target: INITRD_PATHS.busybox });
  }
  return [...real, ...links.values()];
}
