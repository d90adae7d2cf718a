import { loadVerifiedState, lockState, readSource, readStaged, stateChanges, storeTargetCheck, verifyInstall, writeSource, writeStaged, type ImageVerifyFailedError, type StateView, type VerifiedState } from '@mos/manifest';
import { loadTrustAnchors } from '@mos/trust';
import { STATE_LOCK_WAIT_MS, type TrialOptions } from './trial';
import { checkImported, commitUpdate, planUpdate } from './update-plan';
import type { UpdateResult } from './update';
import { MosctlError } from '../errors';

export interface ApplyOptions {
  root?: string;
  /** Manifest CA (default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem). */
  manifestCa?: string;
  now?: Date;
  trial?: TrialOptions;
}

/**
 * `mosctl update --apply`: makes the staged update current. With the state lock held
 * exclusively it re-verifies the current state, then verifies the staged manifest again as if
 * it had just been fetched (chain, signature, product, expiry at `now`; the staged file is as
 * attacker-writable as the rest of the disk), plans it against the state current *now* (which
 * may differ from the one it was staged on: it merges and is checked for replay against
 * that), checks its images are still in the store, and commits it on trial. The staged record
 * is then marked applied (it stays, so applying is idempotent: a retry after a kill, or a
 * second apply, reports "applied already" with exit 0); a kill between the commit and that
 * mark leaves a manifest the state holds already, which the retry recognises and marks.
 */
export async function applyStaged(opts: ApplyOptions = {}): Promise<UpdateResult & { appliedAs?: string }> {
  const root = opts.root ?? '/';
  const lock = await lockState({ root, mode: 'exclusive', waitMs: STATE_LOCK_WAIT_MS });
  try {
    const current = await loadVerifiedState({ root, ca: opts.manifestCa, checkTarget: await storeTargetCheck(root), now: opts.now });
    const staged = await readStaged(root);
    if (!staged) throw new MosctlError('ERR_MOSCTL_STAGED_NOT_FOUND', `nothing is staged on ${root}: mosctl update --download-only URL stages an update`);
    if (staged.applied) {
      const changes = stateChanges(viewOf(current), viewOf(current));
      return { root, url: staged.url, previous: current.commit, system: current.system, changes, serial: staged.serial, checked: false, staged: false, commit: current.commit, changed: false, appliedAs: staged.applied.commit };
    }
    const next = verifyInstall(staged.signed, loadTrustAnchors({ caPath: current.caPath }), opts.now);
    const at = (opts.now ?? new Date()).toISOString();
    const plan = planUpdate(current, next);
    const result = { root, url: staged.url, previous: current.commit, system: plan.system, changes: plan.changes, serial: plan.serial, checked: false, staged: false };
    if (!plan.changed) {
      // Committed already (a kill came before the mark): the state holds it.
      await writeStaged(root, { ...staged, applied: { commit: current.commit, at } });
      return { ...result, commit: current.commit, changed: false, appliedAs: current.commit };
    }
    try {
      await checkImported(root, next);
    } catch (e) {
      const target = (e as ImageVerifyFailedError).target;
      throw new MosctlError('ERR_MOSCTL_IMAGES_NOT_FOUND', `the staged update's images are not all in the store any more (${(e as Error).message}): stage it again with mosctl update --download-only ${staged.url}`, {
        cause: e,
        details: { missing: target ? [target] : [] },
      });
    }
    const { commit, pending } = await commitUpdate(root, current, next, plan, { ...opts, keepStaged: true });
    await writeStaged(root, { ...staged, applied: { commit, at } });
    if (!(await readSource(root))) await writeSource(root, staged.url, opts.now);
    return { ...result, commit, changed: true, pending };
  } finally {
    await lock.release();
  }
}

const viewOf = (s: VerifiedState): StateView => ({ system: s.system, installs: new Map([...s.installs].map(([sha, i]) => [sha, i.manifest])) });
