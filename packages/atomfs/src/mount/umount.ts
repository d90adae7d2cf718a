import { rm } from 'node:fs/promises';
import { BusyError, ToolFailedError } from '../errors';
import { withLock } from '../lib/lock';
import { realSys, type Sys } from '../sys';
import { findMolecule } from './find-molecule';
import { releaseUnused } from './layer-mounts';

export interface UmountOptions {
  /** Scratch dir; default: read from the overlay's lowerdirs, else `/run/atomfs`. */
  scratch?: string;
  /** Keep the upper/work dirs (also kept if the molecule was mounted with `keep`). */
  keep?: boolean;
  sys?: Sys;
}

export interface UmountResult {
  dest: string;
  /** Layer mounts that no other molecule used and were removed. */
  released: string[];
  /** The upper dir left in place, when kept. */
  keptUpper?: string;
}

/**
 * Unmounts the overlay at `dest` (never lazily: a busy root stays mounted and
 * {@link BusyError} is thrown), then every layer mount (and verity device) that no other
 * molecule still uses, and removes the upper/work dirs unless kept. If a layer mount is busy,
 * the others are still released, {@link BusyError} is thrown, and calling again retries.
 *
 * @example
 * import { umountMolecule } from '@mos/atomfs';
 * await umountMolecule('/mnt/root');
 */
export async function umountMolecule(dest: string, opts: UmountOptions = {}): Promise<UmountResult> {
  const sys = opts.sys ?? realSys;
  const first = await findMolecule(sys, dest, opts.scratch);
  return withLock(first.scratch.lock, async () => {
    const { dest: d, scratch, record, overlay } = await findMolecule(sys, dest, first.scratch.dir);
    if (overlay) {
      try {
        await sys.umount(d);
      } catch (e) {
        if (e instanceof ToolFailedError && /busy/i.test(String(e.details.stderr ?? e.message))) {
          throw new BusyError(`${d} is busy; close what uses it and retry`, { dest: d }, { cause: e });
        }
        throw e;
      }
    }
    // Layers first, record last: if a layer is busy the record stays, and running umount again
    // (the overlay is gone, so the record no longer holds its layers) finishes the job.
    const released = await releaseUnused({ sys }, scratch, record.layers.map((l) => l.id));
    await rm(scratch.moleculeRecord(d), { force: true });
    const keep = opts.keep || record.keep;
    if (keep && record.upper) return { dest: d, released, keptUpper: record.upper };
    await rm(scratch.moleculeDir(d), { recursive: true, force: true });
    return { dest: d, released };
  });
}
