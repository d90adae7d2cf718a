import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pendingFor, readLifecycle, stateHistory, statePaths } from '@mos/manifest';
import { rollback, type RollbackResult } from './rollback';

/** What bringup recorded about this boot (`R/run/mos/booted.json`; see @mos/bringup's boot counter). */
export interface BootedRecord {
  /** The state that booted. */
  commit: string;
  at?: string;
  /** Present when the head was on trial for a hostfs/bootkit change. */
  trial?: { head: string; previous: string; tries: number; maxTries: number; fellBack: boolean };
}

const HEX40 = /^[0-9a-f]{40}$/;

/** The boot record of `root`, or undefined on a root nothing booted (or a garbled record). */
export async function readBooted(root: string): Promise<BootedRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(join(root, 'run', 'mos', 'booted.json'), 'utf8'));
    if (typeof r?.commit !== 'string' || !HEX40.test(r.commit)) return undefined;
    const t = r.trial;
    const trialOk = t && HEX40.test(t.head) && HEX40.test(t.previous) && Number.isSafeInteger(t.tries) && Number.isSafeInteger(t.maxTries) && typeof t.fellBack === 'boolean';
    return { commit: r.commit, ...(typeof r.at === 'string' && { at: r.at }), ...(trialOk && { trial: t }) };
  } catch {
    return undefined;
  }
}

/**
 * After bringup fell back to the previous state (the head, on trial for a hostfs or bootkit
 * change, was booted its number of tries without being confirmed), makes that fallback a
 * rollback in the state's history: a new commit "Rollback to <previous> (automatic: …)" whose
 * trial waits for no boot (it is the state running), and the reason in the lifecycle record.
 * Does nothing when this boot did not fall back, or the state moved on since. `mosctl boot`
 * runs it before starting services, so they start from the state that booted.
 */
export async function recordBootFallback(opts: { root: string; ca?: string }): Promise<RollbackResult | undefined> {
  const { root } = opts;
  const booted = await readBooted(root);
  if (!booted?.trial?.fellBack) return undefined;
  const [head, parent] = await stateHistory({ configDir: statePaths(root).configDir, depth: 2 });
  const pending = pendingFor(await readLifecycle(root), head.commit, parent?.commit);
  if (!pending || booted.trial.head !== head.commit || booted.commit !== pending.previous) return undefined;
  const what = pending.nextBoot.join(', ') || 'the system';
  const reason = `${what} of ${head.commit.slice(0, 12)} was booted ${booted.trial.tries} times without being confirmed; the boot fell back to ${booted.commit.slice(0, 12)}`;
  return rollback({
    root,
    to: booted.commit,
    reason: `automatic: ${reason}`,
    automatic: { from: head.commit, reason, services: [] },
    manifestCa: opts.ca,
    booted: true,
    trial: { autoRollback: false, timeoutSeconds: pending.timeoutSeconds, settleSeconds: pending.settleSeconds },
  });
}
