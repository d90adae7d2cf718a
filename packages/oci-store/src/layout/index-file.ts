import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { InvalidLayoutError } from '../errors';
import { canonicalJson } from '../format/canonical-json';
import type { Descriptor, ImageIndex } from '../format/types';
import { assertDescriptor } from '../lib/assert';
import type { Sys } from '../sys';

/** Name of the staging dir inside a layout (zot uses the same name for uploads). */
export const UPLOADS = '.uploads';

/**
 * Reads `<dir>/index.json`. `"manifests": null` (a fresh zot repo) reads as `[]`; every entry
 * must be a valid descriptor. Unknown top-level fields are kept for the next write.
 */
export async function readIndex(dir: string): Promise<ImageIndex> {
  let text: string;
  try {
    text = await fsp.readFile(join(dir, 'index.json'), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidLayoutError(`${dir} has no readable index.json (${code})`, { dir }, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidLayoutError(`${dir}/index.json is not JSON`, { dir }, { cause: e });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidLayoutError(`${dir}/index.json is not an object`, { dir });
  const o = v as Record<string, unknown>;
  if (o.schemaVersion !== 2) throw new InvalidLayoutError(`${dir}/index.json has schemaVersion ${JSON.stringify(o.schemaVersion)}`, { dir });
  const manifests = o.manifests ?? [];
  if (!Array.isArray(manifests)) throw new InvalidLayoutError(`${dir}/index.json "manifests" is not an array`, { dir });
  manifests.forEach((d: unknown, i: number) => {
    try {
      assertDescriptor(d, `index.json manifests[${i}]`);
    } catch (e) {
      throw new InvalidLayoutError(`${dir}/index.json: ${(e as Error).message}`, { dir }, { cause: e });
    }
  });
  return { ...(o as unknown as ImageIndex), manifests: manifests as Descriptor[] };
}

/**
 * Replaces `<dir>/index.json` atomically: compact JSON to a temp file in `<dir>/.uploads`,
 * fsync, rename over the old file, fsync the directory. Call under the index lock.
 */
export async function writeIndex(dir: string, index: ImageIndex, sys: Sys): Promise<void> {
  const tmp = await writeIndexTemp(dir, index, sys);
  try {
    await fsp.rename(tmp, join(dir, 'index.json'));
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await sys.fsyncDir(dir);
}

/** Writes and fsyncs the next `index.json` under `.uploads/`; the caller renames it into place. */
export async function writeIndexTemp(dir: string, index: ImageIndex, sys: Sys): Promise<string> {
  const uploads = join(dir, UPLOADS);
  await fsp.mkdir(uploads, { recursive: true });
  const tmp = join(uploads, `index-${sys.randomId()}.json`);
  try {
    await fsp.writeFile(tmp, canonicalJson({ ...index, schemaVersion: 2, manifests: index.manifests }), { mode: 0o644, flag: 'wx' });
    await sys.fsyncFile(tmp);
    return tmp;
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}
