import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Kernel } from './kernel';

export interface MiniInitramfsOptions {
  /** Where to write the gzip'd newc cpio. */
  out: string;
  /**
   * The shell run as `/init` (busybox sh, PATH=/bin) after the prelude has mounted proc, sys and
   * devtmpfs and insmod'ed `modules`. If it ends, the kernel panics ("Attempted to kill init").
   */
  script: string;
  /** Needed when `modules` is not empty. */
  kernel?: Kernel;
  /** Module names (`virtio_blk`, `pvpanic-mmio`; `-` and `_` alike), loaded with their deps. */
  modules?: string[];
  /** More files: path in the image → content. */
  files?: Record<string, string | Buffer>;
}

export interface MiniInitramfs {
  out: string;
  /** The module files insmod'ed, relative to the modules dir, in load order. */
  modules: string[];
  size: number;
}

const norm = (name: string) => name.replace(/-/g, '_');
const nameOf = (file: string) => norm(basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, ''));

/**
 * The module files that load `names` and all they depend on, dependencies first, from the
 * kernel's `modules.dep` (busybox `depmod` does not write it in load order, so this sorts).
 *
 * @example
 * ```ts
 * import { moduleLoadOrder } from '@mos/test-utils';
 * moduleLoadOrder(k.modulesDir, ['virtio_blk']); // ['kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/block/virtio_blk.ko']
 * ```
 */
export function moduleLoadOrder(modulesDir: string, names: string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const file = line.slice(0, i);
    deps.set(file, line.slice(i + 1).trim().split(/\s+/).filter(Boolean));
    byName.set(nameOf(file), file);
  }
  const out: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (out.includes(file)) return;
    if (path.includes(file)) throw new Error(`module dependency cycle: ${[...path, file].join(' → ')}`);
    for (const d of deps.get(file) ?? []) visit(d, [...path, file]);
    out.push(file);
  };
  for (const n of names) {
    const file = byName.get(norm(n));
    if (!file) throw new Error(`no module ${n} in ${modulesDir}/modules.dep (built in, or misspelled?)`);
    visit(file, []);
  }
  return out;
}

const PRELUDE = `#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/modules/$m" || echo "MARK:insmod-failed $m"; done < /etc/modules
`;

/**
 * A small initramfs for booting Debian's kernel in tests: static busybox with its applets in
 * `/bin`, the given modules with their dependencies, `files`, and an `/init` that mounts
 * proc/sys/devtmpfs, loads the modules and runs `script`. Built with `cpio -H newc -R 0:0 | gzip`.
 *
 * @example
 * ```ts
 * import { debianKernel, miniInitramfs } from '@mos/test-utils';
 * miniInitramfs({ out: 'initrd.img', kernel: await debianKernel(), modules: ['virtio_pci', 'virtio_blk'], script: 'echo MARK:hello\npoweroff -f\n' });
 * ```
 */
export function miniInitramfs(opts: MiniInitramfsOptions): MiniInitramfs {
  if (typeof opts.out !== 'string' || !opts.out) throw new TypeError('miniInitramfs: out is required');
  if (typeof opts.script !== 'string') throw new TypeError('miniInitramfs: script is required');
  const names = opts.modules ?? [];
  if (names.length && !opts.kernel) throw new TypeError('miniInitramfs: modules need a kernel');
  const modules = opts.kernel && names.length ? moduleLoadOrder(opts.kernel.modulesDir, names) : [];
  const tree = mkdtempSync(join(tmpdir(), 'mos-mini-initramfs-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'etc', 'tmp', 'lib/modules']) mkdirSync(join(tree, d), { recursive: true });
    copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'));
    chmodSync(join(tree, 'bin', 'busybox'), 0o755);
    for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n')) {
      if (applet && applet !== 'busybox') symlinkSync('busybox', join(tree, 'bin', applet));
    }
    for (const m of modules) {
      mkdirSync(dirname(join(tree, 'lib/modules', m)), { recursive: true });
      copyFileSync(join(opts.kernel!.modulesDir, m), join(tree, 'lib/modules', m));
    }
    writeFileSync(join(tree, 'etc', 'modules'), modules.map((m) => `${m}\n`).join(''));
    for (const [p, content] of Object.entries(opts.files ?? {})) {
      const dest = join(tree, p);
      if (!dest.startsWith(`${tree}/`)) throw new TypeError(`miniInitramfs: file path ${p} leaves the image`);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, content);
    }
    writeFileSync(join(tree, 'init'), PRELUDE + opts.script, { mode: 0o755 });
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    // Relies on the kernel's built-in initramfs for /dev/console (Debian's has it).
    execFileSync('bash', ['-c', 'set -eo pipefail; cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$2"', 'mkcpio', tree, out]);
    return { out, modules, size: statSync(out).size };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
