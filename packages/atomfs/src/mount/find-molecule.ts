import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { NotMountedError } from '../errors';
import { readJson } from '../lib/json-file';
import { mountAt, overlayLowerdirs, parseMountinfo, type MountEntry } from '../lib/mountinfo';
import type { Sys } from '../sys';
import { DEFAULT_SCRATCH, Scratch, type MoleculeRecord } from './scratch';

/** A molecule located from its destination, by any process. */
export interface FoundMolecule {
  dest: string;
  scratch: Scratch;
  record: MoleculeRecord;
  /** The overlay mounted at dest, if it is still there. */
  overlay?: MountEntry;
}

/**
 * Finds the molecule at `dest`. Without an explicit scratch dir it is read off the overlay's
 * first lowerdir (`<scratch>/layers/<id>`), so `atomfs umount DEST` works from another process
 * without repeating `--scratch`; the default scratch dir is the fallback.
 */
export async function findMolecule(sys: Sys, destIn: string, scratchDir?: string): Promise<FoundMolecule> {
  const dest = await realpath(destIn).catch(() => resolve(destIn));
  const overlay = mountAt(parseMountinfo(await sys.mountinfo()), dest);
  const fromOverlay = overlay?.fstype === 'overlay' ? overlayLowerdirs(overlay)[0] : undefined;
  const candidates = scratchDir ? [scratchDir] : [...(fromOverlay ? [dirname(dirname(fromOverlay))] : []), DEFAULT_SCRATCH];
  for (const dir of candidates) {
    let scratch: Scratch;
    try {
      scratch = new Scratch(dir);
    } catch {
      continue;
    }
    const record = await readJson<MoleculeRecord>(scratch.moleculeRecord(dest));
    if (record) return { dest, scratch, record, overlay: overlay?.fstype === 'overlay' ? overlay : undefined };
  }
  throw new NotMountedError(`${dest} is not an atomfs molecule${scratchDir ? ` of ${scratchDir}` : ''}`, { dest });
}
