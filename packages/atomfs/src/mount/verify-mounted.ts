import { VerifyFailedError } from '../errors';
import { mountAt, parseMountinfo } from '../lib/mountinfo';
import { realSys, type Sys } from '../sys';
import { HashPool } from '../verity/hash-pool';
import { BACKENDS } from './backends';
import { findMolecule } from './find-molecule';
import type { LayerCheck } from './types';

/** Per-layer result of {@link verifyMounted}. */
export interface VerifyMountedResult {
  dest: string;
  /** True when the overlay is up and every layer checked out. */
  ok: boolean;
  overlayMounted: boolean;
  layers: LayerCheck[];
}

/**
 * Re-checks each layer of the molecule at `dest`: dm-verity layers by their dm status (V),
 * the others by re-hashing the layer file against its root hash. Reports per layer and never
 * throws for a bad layer (callers decide; the CLI exits 3).
 *
 * @example
 * import { verifyMounted } from '@mos/atomfs';
 * const r = await verifyMounted('/mnt/root'); // r.ok, r.layers[i].detail
 */
export async function verifyMounted(dest: string, opts: { scratch?: string; threads?: number; sys?: Sys } = {}): Promise<VerifyMountedResult> {
  const sys = opts.sys ?? realSys;
  const { dest: d, scratch, record, overlay } = await findMolecule(sys, dest, opts.scratch);
  const mounts = parseMountinfo(await sys.mountinfo());
  const layers: LayerCheck[] = [];
  const pool = new HashPool(opts.threads);
  try {
    for (const l of record.layers) {
      const base = { id: l.id, backend: l.backend, protection: l.protection };
      const rec = await scratch.readLayer(l.id);
      if (!rec) {
        layers.push({ ...base, ok: false, detail: 'layer record missing' });
        continue;
      }
      if (rec.backend !== 'extract' && !mountAt(mounts, rec.mountpoint)) {
        layers.push({ ...base, ok: false, detail: `layer not mounted at ${rec.mountpoint}` });
        continue;
      }
      layers.push(await BACKENDS[rec.backend].check({ sys, threads: opts.threads, pool }, rec));
    }
  } finally {
    await pool.close();
  }
  return { dest: d, ok: !!overlay && layers.every((l) => l.ok), overlayMounted: !!overlay, layers };
}

/**
 * The throwing form of {@link verifyMounted}'s report: {@link VerifyFailedError} (with the
 * per-layer report in `details.layers`) unless every layer checked out.
 *
 * @example
 * import { assertVerified, verifyMounted } from '@mos/atomfs';
 * assertVerified(await verifyMounted('/mnt/root'));
 */
export function assertVerified(r: VerifyMountedResult): void {
  if (r.ok) return;
  const bad = r.layers.filter((l) => !l.ok).map((l) => l.id);
  const why = r.overlayMounted ? `layer(s) ${bad.join(', ')} failed` : 'the overlay is not mounted';
  throw new VerifyFailedError(`${r.dest}: ${why}`, { dest: r.dest, layers: r.layers });
}
