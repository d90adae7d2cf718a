import { lockState, pendingFor, readLifecycle, stateHistory, statePaths, writeLifecycle, type PendingRecord } from '@mos/manifest';
import { STATE_LOCK_WAIT_MS } from './trial';

export interface ConfirmResult {
  root: string;
  /** The current state. */
  commit: string;
  /** False when nothing was pending (already confirmed), or the pending state was not `expect`. */
  confirmed: boolean;
  /** The trial that ended, when one did. */
  pending?: PendingRecord;
}

/**
 * `mosctl confirm` (and the supervisor's watch, `by: 'auto'`): with the state lock held
 * exclusively, ends the trial of the current state, so no automatic rollback will leave it.
 * `expect` confirms only that commit: the watch must not confirm a state that replaced the
 * one it judged. One atomic write; a kill leaves the state pending or confirmed.
 *
 * @example
 * import { confirm } from '@mos/mosctl';
 * const r = await confirm({ root: '/' });
 */
export async function confirm(opts: { root?: string; by?: 'auto' | 'hand'; expect?: string; now?: Date; lockWaitMs?: number } = {}): Promise<ConfirmResult> {
  const root = opts.root ?? '/';
  const lock = await lockState({ root, mode: 'exclusive', waitMs: opts.lockWaitMs ?? STATE_LOCK_WAIT_MS });
  try {
    const [head, parent] = await stateHistory({ configDir: statePaths(root).configDir, depth: 2 });
    const record = await readLifecycle(root);
    const pending = pendingFor(record, head.commit, parent?.commit);
    if (!pending || (opts.expect !== undefined && opts.expect !== head.commit)) return { root, commit: head.commit, confirmed: false };
    const { pending: _, replacing: __, ...rest } = record;
    await writeLifecycle(root, { ...rest, confirmed: { commit: head.commit, at: (opts.now ?? new Date()).toISOString(), by: opts.by ?? 'hand' } });
    return { root, commit: head.commit, confirmed: true, pending };
  } finally {
    await lock.release();
  }
}
