import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson } from '../lib/json-file';
import { assertMountPath } from '../lib/paths';
import type { LayerRecord } from './types';

/** Default scratch dir of the CLI and library (mos passes `<root>/scratch-writes/atomfs`). */
export const DEFAULT_SCRATCH = '/run/atomfs';

/**
 * The scratch layout, shared by every process that mounts with the same scratch dir:
 * ```
 * <scratch>/lock                        held around mount and umount
 * <scratch>/layers/<id>/                a shared layer mountpoint
 * <scratch>/layers/<id>.json            its LayerRecord
 * <scratch>/molecules/<mid>/molecule.json   a molecule's MoleculeRecord (mid = hash of DEST)
 * <scratch>/molecules/<mid>/{upper,work,empty}/
 * ```
 * Refcounts are not stored: a layer is in use while some molecule record lists it.
 */
export class Scratch {
  constructor(readonly dir: string) {
    assertMountPath(dir, 'scratch dir');
  }
  get lock(): string {
    return join(this.dir, 'lock');
  }
  layerDir(id: string): string {
    return join(this.dir, 'layers', id);
  }
  layerRecord(id: string): string {
    return join(this.dir, 'layers', `${id}.json`);
  }
  moleculeDir(dest: string): string {
    return join(this.dir, 'molecules', moleculeId(dest));
  }
  moleculeRecord(dest: string): string {
    return join(this.moleculeDir(dest), 'molecule.json');
  }
  async init(): Promise<void> {
    await mkdir(join(this.dir, 'layers'), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dir, 'molecules'), { recursive: true, mode: 0o700 });
  }
  async readLayer(id: string): Promise<LayerRecord | undefined> {
    return readJson<LayerRecord>(this.layerRecord(id));
  }
  /** Every molecule record under this scratch dir. */
  async molecules(): Promise<MoleculeRecord[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'molecules'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: MoleculeRecord[] = [];
    for (const n of names) {
      const r = await readJson<MoleculeRecord>(join(this.dir, 'molecules', n, 'molecule.json'));
      if (r) out.push(r);
    }
    return out;
  }
}

/** A mounted molecule as recorded under scratch. */
export interface MoleculeRecord {
  version: 1;
  dest: string;
  scratch: string;
  writable: boolean;
  /** Keep upper/work on umount. */
  keep: boolean;
  upper?: string;
  work?: string;
  /** The overlay option string passed to mount. */
  options: string;
  /** Layers top first (overlay lowerdir order). */
  layers: { id: string; path: string; rootHash: string | null; backend: LayerRecord['backend']; protection: LayerRecord['protection']; mountpoint: string }[];
  /** Free-form source description (e.g. `oci:DIR:TAG` and the manifest digest). */
  source?: Record<string, string>;
  mountedAt: string;
}

/** Stable, path-safe id of a destination. */
export function moleculeId(dest: string): string {
  return createHash('sha256').update(dest).digest('hex').slice(0, 32);
}
