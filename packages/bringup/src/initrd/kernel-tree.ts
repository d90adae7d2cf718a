import { existsSync, statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BringupError } from '../errors';
import { normalizeModuleName } from './modinfo';

/** A kernel found in a tree: an unpacked `linux-image-*` .deb, or `/` of a running system. */
export interface KernelTree {
  /** The tree that was searched. */
  dir: string;
  kver: string;
  /** `DIR/lib/modules/KVER` (or `DIR/usr/lib/modules/KVER`). */
  modulesDir: string;
  /** `DIR/boot/vmlinuz-KVER`, when the tree has it. */
  vmlinuz?: string;
}

/**
 * Finds the kernel version in `kernelDir`: the one directory under `lib/modules` (or
 * `usr/lib/modules`), or the one named by `kver`. Several versions and no `kver` is an error
 * that lists them.
 *
 * @example
 * ```ts
 * import { findKernel } from '@mos/bringup';
 * const k = await findKernel('/var/cache/mos-test/k'); // { kver: '6.1.0-57-amd64', modulesDir: '…/lib/modules/6.1.0-57-amd64', … }
 * ```
 */
export async function findKernel(kernelDir: string, kver?: string): Promise<KernelTree> {
  const found = new Map<string, string>();
  // lib/modules first: on a merged-/usr system both spellings are the same directory.
  for (const base of [join(kernelDir, 'lib', 'modules'), join(kernelDir, 'usr', 'lib', 'modules')]) {
    let names: string[] = [];
    try {
      names = await readdir(base);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (!found.has(n) && isDir(join(base, n))) found.set(n, join(base, n));
  }
  const versions = [...found.keys()];
  let chosen = kver;
  if (chosen === undefined) {
    if (versions.length !== 1)
      throw new BringupError(
        versions.length ? 'ERR_BRINGUP_KVER_AMBIGUOUS' : 'ERR_BRINGUP_KERNEL_NOT_FOUND',
        versions.length
          ? `${kernelDir} has ${versions.length} kernels (${versions.join(', ')}); choose one with --kver`
          : `${kernelDir} has no lib/modules/KVER: give an unpacked linux-image .deb (dpkg -x linux-image-….deb DIR) or /`,
        { details: { kernelDir, versions } },
      );
    chosen = versions[0];
  }
  const modulesDir = found.get(chosen);
  if (!modulesDir)
    throw new BringupError('ERR_BRINGUP_KERNEL_NOT_FOUND', `${kernelDir} has no lib/modules/${chosen} (it has: ${versions.join(', ') || 'none'})`, {
      details: { kernelDir, kver: chosen, versions },
    });
  const vmlinuz = join(kernelDir, 'boot', `vmlinuz-${chosen}`);
  return { dir: kernelDir, kver: chosen, modulesDir, ...(existsSync(vmlinuz) ? { vmlinuz } : {}) };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** What a `lib/modules/KVER` directory offers, read once. Names are normalized (`-` → `_`). */
export interface ModuleIndex {
  modulesDir: string;
  /** Module name → its file, relative to `modulesDir` (`kernel/fs/ext4/ext4.ko`). */
  files: Map<string, string>;
  /** Names of modules built into the kernel (`modules.builtin`). */
  builtin: Set<string>;
  /** `[alias pattern, module name]` of built-in modules (`modules.builtin.modinfo`). */
  builtinAliases: Array<[string, string]>;
  /** `modules.dep` when the tree has one: file → the files it depends on. */
  dep?: Map<string, string[]>;
  /** `modules.alias` when the tree has one: `[alias pattern, module name]`. */
  aliases?: Array<[string, string]>;
}

const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;

/** `kernel/fs/nls/nls_iso8859-1.ko` → `nls_iso8859_1`. */
export const moduleNameOf = (file: string) => normalizeModuleName(file.slice(file.lastIndexOf('/') + 1).replace(MODULE_FILE, ''));

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Reads what a modules directory says about itself: its module files (from `modules.dep`
 * when present, else by walking the tree, since a Debian kernel .deb ships no `modules.dep`),
 * `modules.builtin`, `modules.builtin.modinfo` and `modules.alias`. Nothing is written.
 *
 * @example
 * ```ts
 * import { findKernel, loadModuleIndex } from '@mos/bringup';
 * const index = await loadModuleIndex((await findKernel('/')).modulesDir);
 * index.files.get('dm_verity'); // 'kernel/drivers/md/dm-verity.ko'
 * ```
 */
export async function loadModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  const index: ModuleIndex = { modulesDir, files: new Map(), builtin: new Set(), builtinAliases: [] };
  const depText = await readOptional(join(modulesDir, 'modules.dep'));
  let paths: string[];
  if (depText !== undefined) {
    index.dep = new Map();
    for (const line of depText.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      index.dep.set(line.slice(0, colon).trim(), line.slice(colon + 1).split(/\s+/).filter(Boolean));
    }
    paths = [...index.dep.keys()];
  } else paths = await walkModules(modulesDir);
  // Where two files have one name, depmod prefers updates/ over the rest; otherwise the first in order.
  for (const p of paths.sort((a, b) => Number(b.startsWith('updates/')) - Number(a.startsWith('updates/')) || (a < b ? -1 : a > b ? 1 : 0))) {
    const name = moduleNameOf(p);
    if (!index.files.has(name)) index.files.set(name, p);
  }
  for (const line of ((await readOptional(join(modulesDir, 'modules.builtin'))) ?? '').split('\n'))
    if (line.trim()) index.builtin.add(moduleNameOf(line.trim()));
  for (const s of ((await readOptional(join(modulesDir, 'modules.builtin.modinfo'))) ?? '').split('\0')) {
    const m = /^([^.=]+)\.alias=(.+)$/s.exec(s);
    if (m) index.builtinAliases.push([m[2], normalizeModuleName(m[1])]);
  }
  const aliasText = await readOptional(join(modulesDir, 'modules.alias'));
  if (aliasText !== undefined)
    index.aliases = aliasText
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((w) => w[0] === 'alias' && w.length === 3)
      .map((w) => [w[1], normalizeModuleName(w[2])]);
  return index;
}

/** Every module file under `dir`, relative, sorted; symlinked directories (`build`, `source`) are not followed. */
async function walkModules(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await walkModules(dir, p)));
    else if (d.isFile() && MODULE_FILE.test(d.name)) out.push(p);
  }
  return out;
}
