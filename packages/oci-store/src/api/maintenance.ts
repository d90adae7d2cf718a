import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../errors';
import { fsck, type FsckOptions, type FsckReport } from '../layout/fsck';
import { gc, type GcOptions, type GcResult } from '../layout/gc';
import { LayoutRoot } from '../layout/layout-root';
import { LayoutStore } from '../layout/layout-store';

/** The layouts under `dir`: itself when it is a layout, else every repository of a storage root. */
export async function layoutsAt(dir: string): Promise<Array<{ name: string; store: LayoutStore }>> {
  if (await fsp.stat(join(dir, 'oci-layout')).then(() => true, () => false)) return [{ name: '.', store: await LayoutStore.open(dir) }];
  const root = await LayoutRoot.open(dir);
  const names = await root.repositories();
  if (names.length === 0) throw new NotFoundError(`${dir} is neither an OCI layout nor a storage root with repositories`, { dir });
  return Promise.all(names.map(async (name) => ({ name, store: await root.repo(name) })));
}

/**
 * fsck of a layout or of every repository of a storage root.
 *
 * @example
 * import { fsckDir } from '@mos/oci-store';
 * const reports = await fsckDir('/atomfs-store', { repair: false });
 */
export async function fsckDir(dir: string, opts: FsckOptions = {}): Promise<Array<{ name: string } & FsckReport>> {
  const out = [];
  for (const { name, store } of await layoutsAt(dir)) out.push({ name, ...(await fsck(store, opts)) });
  return out;
}

/**
 * gc of a layout or of every repository of a storage root.
 *
 * @example
 * import { gcDir } from '@mos/oci-store';
 * const results = await gcDir('/atomfs-store/mos', { dryRun: true });
 */
export async function gcDir(dir: string, opts: GcOptions = {}): Promise<Array<{ name: string } & GcResult>> {
  const out = [];
  for (const { name, store } of await layoutsAt(dir)) out.push({ name, ...(await gc(store, opts)) });
  return out;
}
