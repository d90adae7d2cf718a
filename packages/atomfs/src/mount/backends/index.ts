import { BackendUnavailableError } from '../../errors';
import type { BackendName, Ctx } from '../types';
import type { Backend } from './backend';
import { dmVerityBackend } from './dm-verity';
import { extractBackend } from './extract';
import { squashfuseBackend } from './squashfuse';
import { verifiedLoopBackend } from './verified-loop';

export const BACKENDS: Record<BackendName, Backend> = {
  'dm-verity': dmVerityBackend,
  'verified-loop': verifiedLoopBackend,
  squashfuse: squashfuseBackend,
  extract: extractBackend,
};

/**
 * Picks the backend for a layer: the caller's choice if given (and usable), else dm-verity as
 * host root with device-mapper, verified loop as host root without it, squashfuse in a user
 * namespace with FUSE, extraction otherwise. A layer without a root hash (insecure) cannot use
 * dm-verity and falls back to the verified-loop path without the verification step.
 */
export function chooseBackend(ctx: Ctx, requested: BackendName | undefined, hasRootHash: boolean): Backend {
  if (requested) {
    const b = BACKENDS[requested];
    if (!b) throw new BackendUnavailableError(`unknown backend ${JSON.stringify(requested)}`, { backend: requested });
    if (!hasRootHash && requested === 'dm-verity') return verifiedLoopBackend;
    const why = b.unavailable(ctx);
    if (why) throw new BackendUnavailableError(`backend ${requested} is not usable here: ${why}`, { backend: requested, reason: why });
    return b;
  }
  const order: Backend[] = [dmVerityBackend, verifiedLoopBackend, squashfuseBackend, extractBackend];
  const b = order.find((x) => x.unavailable(ctx) === null)!;
  return !hasRootHash && b === dmVerityBackend ? verifiedLoopBackend : b;
}
