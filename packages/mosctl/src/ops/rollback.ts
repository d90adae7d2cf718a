import {
  commitState,
  findRollbackTarget,
  ImageVerifyFailedError,
  loadInstallManifest,
  loadVerifiedState,
  lockState,
  readCommittedState,
  sameSystem,
  stateChanges,
  stateHistory,
  statePaths,
  storeTargetCheck,
  type CommittedState,
  type Culprit,
  type HistoryEntry,
  type PendingRecord,
  type StateChanges,
  type StateView,
  type SystemManifest,
  type VerifiedState,
} from '@mos/manifest';
import { MosctlError } from '../errors';
import { commitOnTrial, STATE_LOCK_WAIT_MS, type TrialOptions } from './trial';

export interface RollbackOptions {
  root?: string;
  /** The state to go to: a commit id or a unique prefix (4+ hex digits). Default: the previous state. */
  to?: string;
  /** Why, for the commit message ("Rollback to <short> (<why>)"). Default: "by hand". */
  reason?: string;
  /** Manifest CA (default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem). */
  manifestCa?: string;
  now?: Date;
  /** How the state rolled back to is put on trial (an automatic rollback passes `autoRollback: false`: no ping-pong). */
  trial?: TrialOptions;
  /** The state rolled back to is the one running already (bringup fell back to it): its trial waits for no boot. */
  booted?: boolean;
  /**
   * An automatic rollback: why, and the services at fault, recorded as the lifecycle's
   * `lastAutoRollback` (naming the new commit) in the same locked, atomic write as its trial.
   */
  automatic?: { from: string; reason: string; services: Culprit[] };
  /** How long to wait for the state lock (default STATE_LOCK_WAIT_MS; the trial watch passes 0). */
  lockWaitMs?: number;
}

export interface RollbackResult {
  root: string;
  /** The new commit (or the current one when the target is the current state already). */
  commit: string;
  previous: string;
  /** The commit whose state is now current again. */
  target: string;
  changed: boolean;
  changes: StateChanges;
  system: SystemManifest;
  pending?: PendingRecord;
}

/**
 * `mosctl rollback`: with the state lock held exclusively, re-verifies the state it goes to
 * (signatures, chain, product, expiry, every image present in the store: it refuses, naming
 * each, when images are gone) and commits it as a **new** state, "Rollback to <short> (<why>)".
 * The newest applied serial stays the highest seen, so a rollback never re-opens replays of
 * anything older than what was applied. The current state need not verify (rolling back is
 * how a machine leaves a broken one). The commit is the last step and atomic.
 *
 * Without `to`, the target is the most recent earlier state that differs from the current
 * one, so a second rollback undoes the first; a retry that must not flip back passes `to`.
 *
 * @example
 * import { rollback } from '@mos/mosctl';
 * const r = await rollback({ root: '/', reason: 'web does not start' });
 */
export async function rollback(opts: RollbackOptions = {}): Promise<RollbackResult> {
  const root = opts.root ?? '/';
  const { configDir } = statePaths(root);
  const lock = await lockState({ root, mode: 'exclusive', waitMs: opts.lockWaitMs ?? STATE_LOCK_WAIT_MS });
  try {
    const history = await stateHistory({ configDir });
    const target = opts.to !== undefined ? resolveCommit(history, opts.to) : await findRollbackTarget({ configDir });
    if (!target) throw new MosctlError('ERR_MOSCTL_NOT_FOUND', 'there is no earlier state to roll back to: this root has only ever had one state', { details: { states: history.length } });
    const head = history[0].commit;
    const current = await readCommittedState({ configDir }).catch(() => undefined);
    const state = await loadVerifiedState({ root, ca: opts.manifestCa, commit: target.commit, now: opts.now });
    await assertImagesPresent(root, state);
    const newest = Math.max(current?.system.newest_serial ?? 0, state.system.newest_serial ?? 0);
    const { newest_serial: _, ...rest } = state.system;
    const system: SystemManifest = newest > 0 ? { ...rest, newest_serial: newest } : rest;
    const after: StateView = { system, installs: new Map([...state.installs].map(([sha, i]) => [sha, i.manifest])) };
    const changes = stateChanges(current ? viewOf(current) : { system: { ...system, targets: [], storage: [] }, installs: new Map() }, after);
    const result = { root, previous: head, target: target.commit, changes, system };
    if (current && sameSystem(current.system, state.system)) return { ...result, commit: head, changed: false };
    const auto = opts.automatic;
    const record = auto && ((id: string) => ({ lastAutoRollback: { from: auto.from, to: target.commit, commit: id, at: (opts.now ?? new Date()).toISOString(), reason: auto.reason, services: auto.services } }));
    const plan = { previous: head, kind: 'rollback' as const, nextBoot: opts.booted ? [] : changes.nextBoot, trial: opts.trial, now: opts.now, record };
    const { commit, pending } = await commitOnTrial(root, plan, () =>
      commitState({
        configDir,
        state: { system, installs: [...state.installs.values()].map((i) => i.signed) },
        message: `Rollback to ${target.commit.slice(0, 12)} (${oneLine(opts.reason ?? 'by hand')})`,
        now: opts.now,
      }),
    );
    return { ...result, commit, changed: true, pending };
  } finally {
    await lock.release();
  }
}

/** `--to`: a full id or a unique prefix of one in the history of `master`. */
function resolveCommit(history: HistoryEntry[], to: string): HistoryEntry {
  const want = to.toLowerCase();
  if (!/^[0-9a-f]{4,40}$/.test(want)) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--to ${JSON.stringify(to)} is not a commit id (4 to 40 hex digits; mosctl status lists the history)`);
  const hits = history.filter((h) => h.commit.startsWith(want));
  if (hits.length > 1) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--to ${to} is ambiguous: it starts ${hits.map((h) => h.commit.slice(0, 12)).join(', ')}; give more digits`);
  if (!hits.length) throw new MosctlError('ERR_MOSCTL_NOT_FOUND', `no state ${to} in this root's history (mosctl status lists it)`);
  return hits[0];
}

/** Every target's image must be in the store; refuses once, naming each one that is gone. */
async function assertImagesPresent(root: string, state: VerifiedState): Promise<void> {
  const check = await storeTargetCheck(root);
  const missing: string[] = [];
  for (const t of state.targets) {
    try {
      await check(t);
    } catch (e) {
      if (!(e instanceof ImageVerifyFailedError)) throw e;
      missing.push(`${t.name} (${t.target.digest.slice(0, 19)}…: ${(e as Error).message.replace(/^target "[^"]*": /, '')})`);
    }
  }
  if (missing.length) {
    throw new MosctlError('ERR_MOSCTL_IMAGES_NOT_FOUND', `cannot roll back to ${state.commit.slice(0, 12)}: its images are gone from the store (collected by gc?): ${missing.join('; ')}`, {
      details: { commit: state.commit, missing: state.targets.filter((t) => missing.some((m) => m.startsWith(t.name + ' '))).map((t) => ({ name: t.name, digest: t.target.digest })) },
    });
  }
}

function viewOf(c: CommittedState): StateView {
  // The current state is read, not trusted: it only feeds the list of what changes.
  return { system: c.system, installs: new Map([...c.installs].map(([sha, s]) => [sha, loadInstallManifest(s.json, `${sha}.json`).manifest])) };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 200);
