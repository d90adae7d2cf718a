import { mountAt, parseMountinfo } from '../lib/mountinfo';
import { realSys, type Sys } from '../sys';
import { DEFAULT_SCRATCH, Scratch, type MoleculeRecord } from './scratch';

/** A molecule known to a scratch dir, and whether its overlay is still mounted. */
export interface ListedMolecule extends MoleculeRecord {
  mounted: boolean;
}

/**
 * Lists the molecules recorded under a scratch dir (default `/run/atomfs`).
 *
 * @example
 * import { listMolecules } from '@mos/atomfs';
 * for (const m of await listMolecules()) console.log(m.dest, m.layers.length);
 */
export async function listMolecules(opts: { scratch?: string; sys?: Sys } = {}): Promise<ListedMolecule[]> {
  const sys = opts.sys ?? realSys;
  const scratch = new Scratch(opts.scratch ?? DEFAULT_SCRATCH);
  const mounts = parseMountinfo(await sys.mountinfo());
  return (await scratch.molecules()).map((m) => ({ ...m, mounted: mountAt(mounts, m.dest)?.fstype === 'overlay' }));
}
