import { pendingFor, readLifecycle, stateHistory, statePaths, writeLifecycle, type LifecycleRecord, type PendingRecord } from '@mos/manifest';
import { MosctlError } from '../errors';

/** How a new state is put on trial (`--confirm-timeout`, `--settle`, `--no-auto-rollback`). */
export interface TrialOptions {
  /** Seconds its services have to prove themselves. Default 300 (5 min). */
  timeoutSeconds?: number;
  /** Seconds every container service must stay running and healthy. Default 15. */
  settleSeconds?: number;
  /** Roll back by itself when the deadline passes. Default true. */
  autoRollback?: boolean;
  /** False: nothing is watched, confirm or roll back by hand (`--no-activate`). Default true. */
  watch?: boolean;
}

/**
 * How long state-changing commands wait for the state lock: the supervisor's trial watch holds
 * it briefly to confirm or roll back, and a user's update must not fail on that.
 */
export const STATE_LOCK_WAIT_MS = 10_000;

export const DEFAULT_CONFIRM_TIMEOUT = 300;
export const DEFAULT_SETTLE = 15;

/**
 * Commits a new state on trial: the pending record is written before `commit()` runs (naming
 * no commit yet) and completed after it, so whatever moment a kill hits, the state that ends up
 * current is pending exactly when it is the new one, or as it was before when it is the old
 * one (`pendingFor` resolves the half-written record). What the record held about earlier
 * confirmations and rollbacks is kept; `record` adds to it in the same write that completes
 * the trial (an automatic rollback's reason, naming the new commit).
 */
export async function commitOnTrial(
  root: string,
  plan: { previous: string; kind: PendingRecord['kind']; nextBoot: string[]; trial?: TrialOptions; now?: Date; record?: (commit: string) => Partial<LifecycleRecord> },
  commit: () => Promise<string>,
): Promise<{ commit: string; pending: PendingRecord }> {
  const t = plan.trial ?? {};
  for (const [flag, v] of [['--confirm-timeout', t.timeoutSeconds], ['--settle', t.settleSeconds]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `${flag} must be a duration of 0 or more seconds, not ${v}`);
  }
  const pending: PendingRecord = {
    commit: null,
    previous: plan.previous,
    kind: plan.kind,
    since: (plan.now ?? new Date()).toISOString(),
    timeoutSeconds: t.timeoutSeconds ?? DEFAULT_CONFIRM_TIMEOUT,
    settleSeconds: t.settleSeconds ?? DEFAULT_SETTLE,
    autoRollback: t.autoRollback ?? true,
    watch: t.watch ?? true,
    nextBoot: plan.nextBoot,
  };
  const { replacing: _, ...record } = await readLifecycle(root);
  // The trial in force now (the state being left may itself be pending) stays in force until the commit exists.
  const [head, parent] = await stateHistory({ configDir: statePaths(root).configDir, depth: 2 });
  const before = pendingFor(record, head.commit, parent?.commit);
  await writeLifecycle(root, { ...record, pending, ...(before && { replacing: { ...before, commit: head.commit } }) });
  const id = await commit();
  const done = { ...pending, commit: id };
  await writeLifecycle(root, { ...record, ...plan.record?.(id), pending: done });
  return { commit: id, pending: done };
}

/**
 * A duration flag: `90`, `90s`, `5m`, `1h`, `1m30s` (seconds when bare). Anything else is a
 * usage error naming the flag.
 */
export function parseDuration(flag: string, text: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  if (!text.trim() || !m || m.slice(1).every((g) => g === undefined)) {
    throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `${flag} ${JSON.stringify(text)} is not a duration (examples: 30, 30s, 5m, 1h)`);
  }
  const [h, min, s] = m.slice(1).map((g) => Number(g ?? 0));
  return h * 3600 + min * 60 + s;
}
