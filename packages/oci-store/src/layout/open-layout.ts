import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { InvalidLayoutError } from '../errors';
import type { Sys } from '../sys';
import { readIndex, writeIndex } from './index-file';

/** What every writer of ours puts in `oci-layout` (umoci/zot form, compact). */
export const OCI_LAYOUT_BYTES = '{"imageLayoutVersion":"1.0.0"}';

/**
 * Checks that `dir` is an OCI image layout (`oci-layout` with a 1.x version, readable
 * `index.json`, `blobs/`), creating the missing parts when `create` is set and the directory
 * is new or empty of layout files. An existing, different layout is never overwritten.
 */
export async function openLayoutDir(dir: string, create: boolean, sys: Sys): Promise<void> {
  let header: string | undefined;
  try {
    header = await fsp.readFile(join(dir, 'oci-layout'), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
  }
  if (header === undefined) {
    if (!create) throw new InvalidLayoutError(`${dir} is not an OCI image layout (no oci-layout file)`, { dir });
    await fsp.mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    if (!(await exists(join(dir, 'index.json')))) await writeIndex(dir, { schemaVersion: 2, manifests: [] }, sys);
    // oci-layout last: its presence is what makes the directory a layout.
    const tmp = join(dir, `.oci-layout-${sys.randomId()}`);
    await fsp.writeFile(tmp, OCI_LAYOUT_BYTES, { mode: 0o644 });
    await sys.fsyncFile(tmp);
    await fsp.rename(tmp, join(dir, 'oci-layout'));
    await sys.fsyncDir(dir);
    return;
  }
  let version: unknown;
  try {
    version = (JSON.parse(header) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (e) {
    throw new InvalidLayoutError(`${dir}/oci-layout is not JSON`, { dir }, { cause: e });
  }
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
    throw new InvalidLayoutError(`${dir}/oci-layout has unsupported imageLayoutVersion ${JSON.stringify(version)}`, { dir });
  }
  await readIndex(dir);
  if (!(await exists(join(dir, 'blobs')))) {
    if (!create) throw new InvalidLayoutError(`${dir} has no blobs/ directory`, { dir });
    await fsp.mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.stat(p);
    return true;
  } catch {
    return false;
  }
}
