import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { InvalidNameError, NotFoundError } from '../errors';
import { KEYSET_KEYS } from './keyset';
import { assertSafeName, keysetDir, type KeysetOptions } from './paths';

/** What `keyset show` prints: a listing (or paths), or one item's content (or path). */
export type ShowMode = 'list' | 'path' | 'value';

/**
 * Shows a keyset (every file, or with mode `path` every key directory), one key (its items,
 * or its directory), or one item (its content, or its path). A key is a directory name of
 * {@link KEYSET_KEYS} or `manifest:<project>`.
 *
 * @example
 * import { showKeyset } from '@mos/trust';
 * await showKeyset({ keyset: 'demo', key: 'manifest:default', item: 'uuid', mode: 'value' });
 */
export async function showKeyset(opts: KeysetOptions & { keyset: string; key?: string; item?: string; mode?: ShowMode }): Promise<string> {
  const root = keysetDir(opts);
  const mode = opts.mode ?? 'list';
  if (opts.key === undefined) {
    if (mode === 'path') return KEYSET_KEYS.map((k) => join(root, k.dir)).join('\n') + '\n';
    return (await walk(root)).map((f) => relative(root, f)).join('\n') + '\n';
  }
  const keyDir = keyPath(root, opts.key);
  if (!existsSync(keyDir)) throw new NotFoundError(`key "${opts.key}" not found in keyset "${opts.keyset}"`);
  if (opts.item === undefined) {
    if (mode === 'path') return keyDir + '\n';
    const items = (await readdir(keyDir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    return items.sort().join('\n') + '\n';
  }
  assertSafeName('item', opts.item);
  const file = join(keyDir, opts.item);
  if (!existsSync(file) || !statSync(file).isFile()) throw new NotFoundError(`item "${opts.item}" not found in key "${opts.key}"`);
  if (mode === 'path') return file + '\n';
  const text = await readFile(file, 'utf8');
  return text.endsWith('\n') ? text : text + '\n';
}

function keyPath(root: string, key: string): string {
  const m = key.match(/^manifest:(.+)$/);
  if (m) {
    assertSafeName('project', m[1]);
    return join(root, 'manifest', m[1]);
  }
  if (!KEYSET_KEYS.some((k) => k.dir === key)) {
    throw new InvalidNameError(`unknown key "${key}": use one of ${KEYSET_KEYS.map((k) => k.dir).join(', ')} or manifest:<project>`);
  }
  return join(root, key);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p + '/', ...(await walk(p)));
    else out.push(p);
  }
  return out;
}
