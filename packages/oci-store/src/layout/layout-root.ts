import { promises as fsp } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { NotFoundError } from '../errors';
import { assertRepoName, isRepoName } from '../format/names';
import { LayoutStore, type LayoutOpenOptions } from './layout-store';

/**
 * A zot-shaped storage root: `<root>/<repo>/` is an OCI image layout per repository (names may
 * nest: `<root>/machine/install/`). mos keeps its images in repo `mos`. Repository names are
 * checked against the distribution grammar before they touch a path (no `..`, `/` at the
 * ends, NUL or upper case).
 *
 * @example
 * import { LayoutRoot } from '@mos/oci-store';
 * const root = await LayoutRoot.open('/atomfs-store', { create: true });
 * const mos = await root.repo('mos', { create: true });
 */
export class LayoutRoot {
  private readonly repos = new Map<string, Promise<LayoutStore>>();
  private constructor(readonly dir: string, private readonly opts: Omit<LayoutOpenOptions, 'create'>) {}

  /** Opens the root directory (creating it with `create`). */
  static async open(dir: string, opts: LayoutOpenOptions = {}): Promise<LayoutRoot> {
    const abs = resolvePath(dir);
    if (opts.create) await fsp.mkdir(abs, { recursive: true });
    const st = await fsp.stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new NotFoundError(`storage root ${abs} does not exist`, { dir: abs });
    const { create: _c, ...rest } = opts;
    return new LayoutRoot(abs, rest);
  }

  /** The layout of repository `name`; `ERR_OCI_NOT_FOUND` unless it exists or `create` is set. */
  async repo(name: string, opts: { create?: boolean } = {}): Promise<LayoutStore> {
    assertRepoName(name);
    const cached = this.repos.get(name);
    if (cached) return cached;
    const p = this.openRepo(name, opts.create ?? false);
    this.repos.set(name, p);
    p.catch(() => this.repos.delete(name));
    return p;
  }

  private async openRepo(name: string, create: boolean): Promise<LayoutStore> {
    const dir = join(this.dir, ...name.split('/'));
    const has = await fsp.stat(join(dir, 'oci-layout')).then(() => true, () => false);
    if (!has && !create) throw new NotFoundError(`repository ${name} not found in ${this.dir}`, { repository: name });
    return LayoutStore.open(dir, { ...this.opts, create });
  }

  /** True when repository `name` exists. */
  async has(name: string): Promise<boolean> {
    if (!isRepoName(name)) return false;
    return fsp.stat(join(this.dir, ...name.split('/'), 'oci-layout')).then(() => true, () => false);
  }

  /** Every repository (a directory with `oci-layout`), sorted, as the catalog lists them. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (rel: string[], depth: number): Promise<void> => {
      if (depth > 16) return;
      const abs = join(this.dir, ...rel);
      const entries = await fsp.readdir(abs, { withFileTypes: true }).catch(() => []);
      if (rel.length && entries.some((e) => e.name === 'oci-layout' && e.isFile())) out.push(rel.join('/'));
      for (const e of entries) {
        if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'blobs') continue;
        if (!isRepoName([...rel, e.name].join('/'))) continue;
        await visit([...rel, e.name], depth + 1);
      }
    };
    await visit([], 0);
    return out.sort();
  }
}
