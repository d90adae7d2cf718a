import { join } from 'node:path';
import { BringupError } from '../errors';
import type { ModuleIndex } from './kernel-tree';
import { moduleNameOf } from './kernel-tree';
import { normalizeModuleName, readModinfo, type ModInfo } from './modinfo';

export interface ResolveModulesOptions {
  /** Module names to load (`-`/`_` alike), in the order wanted; dependencies are added before them. */
  modules: readonly string[];
  /** Names that may be absent from the tree (hardware drivers a kernel may lack): skipped, and reported in `missing`. */
  optional?: Iterable<string>;
}

export interface ResolvedModules {
  /** Files to `insmod`, relative to the modules directory, dependencies first. */
  files: string[];
  /** The module names of `files`, in the same order. */
  names: string[];
  /** Requested or needed modules that are built into the kernel (nothing to load). */
  builtin: string[];
  /** Optional modules that are neither in the tree nor built in. */
  missing: string[];
  /** Soft dependencies that matched nothing (as modprobe does, they are skipped). */
  warnings: string[];
}

/**
 * Orders a list of modules for `insmod`: every module after its hard dependencies (`modules.dep`
 * when the tree has it, else each `.ko`'s `depends=`), after its `softdep=pre:` modules and
 * before its `softdep=post:` ones. Soft dependencies name a module or an alias (ext4's
 * `pre: crypto-crc32c`); an alias brings in every module that matches it, as modprobe does
 * (crc32c_generic and crc32c-intel). Built-in modules are skipped. The order is a depth-first
 * walk in request order, so the same request always gives the same list.
 *
 * @example
 * ```ts
 * import { findKernel, loadModuleIndex, resolveModules } from '@mos/bringup';
 * const index = await loadModuleIndex((await findKernel('/var/cache/mos-test/k')).modulesDir);
 * (await resolveModules(index, { modules: ['dm_verity'] })).names;
 * // ['dm_mod', 'dm_bufio', 'reed_solomon', 'dm_verity'] (dependencies first)
 * ```
 */
export async function resolveModules(index: ModuleIndex, opts: ResolveModulesOptions): Promise<ResolvedModules> {
  const optional = new Set([...(opts.optional ?? [])].map(normalizeModuleName));
  const out: ResolvedModules = { files: [], names: [], builtin: [], missing: [], warnings: [] };
  const state = new Map<string, 'visiting' | 'done'>();
  const infos = new Map<string, Promise<ModInfo>>();
  const info = (file: string) => {
    if (!infos.has(file)) infos.set(file, readModinfo(join(index.modulesDir, file)));
    return infos.get(file)!;
  };
  // Compiled once per call: thousands of aliases, most of them wildcard patterns.
  let table: Array<[(word: string) => boolean, string]> | undefined;
  const aliasTable = async () => (table ??= (index.aliases ?? (await scanAliases(index, info))).map(([p, m]) => [compileAlias(p), m]));

  /** The module names a softdep word means: itself if it is a module, else what its alias matches. */
  const resolveSoft = async (word: string): Promise<string[]> => {
    const n = normalizeModuleName(word);
    if (index.files.has(n) || index.builtin.has(n)) return [n];
    if (index.builtinAliases.some(([p]) => aliasMatches(p, word))) return []; // provided by the kernel itself
    const names = new Set((await aliasTable()).filter(([matches]) => matches(word)).map(([, m]) => m));
    return [...names].sort();
  };

  const visit = async (name: string, chain: string[], soft: boolean): Promise<void> => {
    const n = normalizeModuleName(name);
    if (state.get(n) === 'done') return;
    if (index.builtin.has(n)) {
      if (!out.builtin.includes(n)) out.builtin.push(n);
      state.set(n, 'done');
      return;
    }
    if (state.get(n) === 'visiting') {
      if (soft) return; // soft dependencies may point back; modprobe ignores such loops
      throw new BringupError('ERR_BRINGUP_MODULE_UNREADABLE', `module dependencies loop: ${[...chain, n].join(' → ')}`, { details: { chain: [...chain, n] } });
    }
    const file = index.files.get(n);
    if (!file) {
      state.set(n, 'done');
      if (soft) out.warnings.push(`soft dependency ${n} of ${chain.at(-1)} is not in the tree`);
      else if (chain.length === 0 && optional.has(n)) out.missing.push(n);
      else
        throw new BringupError(
          'ERR_BRINGUP_MODULE_NOT_FOUND',
          `kernel module ${n} is neither in ${index.modulesDir} nor built in${chain.length ? ` (needed by ${chain.join(' → ')})` : ''}`,
          { details: { module: n, chain, modulesDir: index.modulesDir } },
        );
      return;
    }
    state.set(n, 'visiting');
    const mi = await info(file);
    const here = [...chain, n];
    for (const w of mi.softPre) for (const m of await resolveSoft(w)) await visit(m, here, true);
    const hard = index.dep ? (index.dep.get(file) ?? []).map(moduleNameOf) : mi.depends;
    for (const d of hard) await visit(d, here, false);
    out.files.push(file);
    out.names.push(n);
    state.set(n, 'done');
    for (const w of mi.softPost) for (const m of await resolveSoft(w)) await visit(m, here, true);
  };

  for (const m of opts.modules) await visit(m, [], false);
  return out;
}

/** `[alias, module]` of every module in the tree, read from each `.ko` (no modules.alias). */
async function scanAliases(index: ModuleIndex, info: (file: string) => Promise<ModInfo>): Promise<Array<[string, string]>> {
  const entries = [...index.files.entries()];
  const table: Array<[string, string]> = [];
  // A few dozen files at a time: thousands of modules, four small reads each.
  for (let i = 0; i < entries.length; i += 64) {
    const batch = entries.slice(i, i + 64);
    const infos = await Promise.all(batch.map(([, f]) => info(f).catch(() => undefined)));
    batch.forEach(([name], j) => infos[j]?.aliases.forEach((a) => table.push([a, name])));
  }
  return table;
}

/**
 * Whether an alias pattern (fnmatch: `*`, `?`, `[…]`) matches `word`, treating `-` and `_` as
 * the same outside bracket expressions, as kmod does.
 */
export function aliasMatches(pattern: string, word: string): boolean {
  return compileAlias(pattern)(word);
}

function compileAlias(pattern: string): (word: string) => boolean {
  const wild = pattern.search(/[*?[]/);
  if (wild < 0) {
    const p = normalizeAlias(pattern);
    return (word) => p === normalizeAlias(word);
  }
  // Most aliases are device patterns (`pci:v…d*sv*`): the literal prefix rules them out
  // without building a regex, which matters with ~26,000 of them.
  const prefix = normalizeAlias(pattern.slice(0, wild));
  let regex: RegExp | undefined;
  return (word) => normalizeAlias(word).startsWith(prefix) && (regex ??= globRegex(pattern)).test(word);
}

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c === '-' || c === '_' ? '[-_]' : c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

const normalizeAlias = (s: string) => s.replace(/-/g, '_');
