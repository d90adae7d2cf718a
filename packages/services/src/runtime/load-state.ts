import { loadVerifiedState, storeTargetCheck, type VerifiedState, type VerifiedTarget } from '@mos/manifest';
import { ServicesError } from '../errors';

/**
 * The committed system state of `root`, re-verified: every signature and chain to the CA
 * (`ca`, or the one found for the root), and every target's image in `R/atomfs-store/mos` with
 * the digest and size its signed manifest pins.
 */
export async function loadState(root: string, ca?: string): Promise<VerifiedState> {
  return loadVerifiedState({ root, ca, checkTarget: await storeTargetCheck(root) });
}

/** The target `name` of a verified state, or `ERR_SERVICES_TARGET_NOT_FOUND` naming the ones there are. */
export function findTarget(state: VerifiedState, name: string): VerifiedTarget {
  const t = state.targets.find((x) => x.name === name);
  if (!t) {
    throw new ServicesError('ERR_SERVICES_TARGET_NOT_FOUND', `the installed system has no target "${name}" (it has: ${state.targets.map((x) => x.name).join(', ') || 'none'})`, { target: name });
  }
  return t;
}
