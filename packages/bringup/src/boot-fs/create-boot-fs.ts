import type { BackendName, MountedMolecule } from '@mos/atomfs';
import { loadVerifiedState, storeTargetCheck, type VerifiedState } from '@mos/manifest';
import { BringupError } from '../errors';
import { mountTarget } from './mount-target';

export interface BootFsOptions {
  /** The installed root (the initrd's view: config, store and scratch mounted under it). Default `/`. */
  root?: string;
  /** Where the new root appears. Default `/sysroot`. */
  dest?: string;
  /** Mount hostfs read-only. Default false: writable, upper dir in `R/scratch-writes`. */
  readonly?: boolean;
  /** Manifest CA. Default: found under the root. */
  ca?: string;
  now?: Date;
  /** Require this backend for hostfs's layers (the initrd requires `dm-verity`). Default: atomfs chooses. */
  backend?: BackendName;
  /** Discard the upper dir of an earlier boot. Default false (the initrd sets it). */
  fresh?: boolean;
  /** Record hostfs under this path, the one it has after switch_root (the initrd passes `/`). */
  recordAs?: string;
  /** Boot this commit of manifest.git instead of the head (the boot-count fallback). Default: the head. */
  commit?: string;
  /** Told how long each phase took (the boot timeline). */
  log?: (s: string) => void;
}

/**
 * What the initrd calls: re-verify the whole committed state -- every install manifest's
 * signature, chain and product, every target's image in the store with its pinned digest and
 * size -- then mount the `hostfs` target at `dest`, its layers verified against their verity
 * root hashes. Nothing is mounted unless all of it verified.
 *
 * @example
 * import { createBootFs } from '@mos/bringup';
 * await createBootFs({ root: '/', dest: '/sysroot' });
 */
export async function createBootFs(opts: BootFsOptions = {}): Promise<{ state: VerifiedState; mounted: MountedMolecule }> {
  const root = opts.root ?? '/';
  const t0 = performance.now();
  const state = await loadVerifiedState({ root, ca: opts.ca, checkTarget: await storeTargetCheck(root), now: opts.now, commit: opts.commit });
  const t1 = performance.now();
  opts.log?.(`state verified in ${Math.round(t1 - t0)} ms (signatures, chains, images pinned in the store)`);
  const hostfs = state.targets.find((t) => t.name === 'hostfs');
  if (!hostfs) throw new BringupError('ERR_BRINGUP_TARGET_NOT_FOUND', `the installed system of ${root} has no hostfs target to boot`);
  let mounted: MountedMolecule;
  try {
    mounted = await mountTarget({ root, target: hostfs.target, dest: opts.dest ?? '/sysroot', readonly: opts.readonly, backend: opts.backend, fresh: opts.fresh, recordAs: opts.recordAs });
  } catch (e) {
    // Name the target: the layer's own error names the layer and the check that failed.
    const details = { target: 'hostfs', digest: hostfs.target.digest, ...((e as { details?: Record<string, unknown> }).details ?? {}) };
    throw new BringupError('ERR_BRINGUP_IMAGE_VERIFY_FAILED', `target hostfs (${hostfs.target.digest}) cannot be mounted: ${(e as Error).message}`, { cause: e, details });
  }
  opts.log?.(`hostfs mounted in ${Math.round(performance.now() - t1)} ms (${mounted.layerRecords.length} layers)`);
  return { state, mounted };
}
