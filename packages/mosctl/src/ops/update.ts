import type { ProgressEvent, RemoteAccessOptions } from '@mos/oci-store';
import { loadVerifiedState, lockState, readSource, storeTargetCheck, writeSource, writeStaged, type PendingRecord, type StateChanges, type SystemManifest } from '@mos/manifest';
import { loadTrustAnchors } from '@mos/trust';
import { fetchInstall, importTargets, verifyFetched } from '@mos/bringup';
import { STATE_LOCK_WAIT_MS, type TrialOptions } from './trial';
import { checkImported, commitUpdate, planUpdate } from './update-plan';
import { MosctlError } from '../errors';

export interface UpdateOptions extends RemoteAccessOptions {
  root?: string;
  /** Where to fetch the install manifest. Default: the root's recorded source (see `readSource`). */
  url?: string;
  /** Record `url` as the root's source once it is applied or found current (`mosctl switch`). */
  setSource?: boolean;
  /** Manifest CA (not the registry TLS CA). Default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem. */
  manifestCa?: string;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
  now?: Date;
  /** Fetch and verify, work out the changes, write nothing (`update --check`). */
  check?: boolean;
  /** Fetch, verify and import, then record the update as staged instead of committing it (`update --download-only`). */
  downloadOnly?: boolean;
  /** How the new state is put on trial (confirmed once healthy, else rolled back). */
  trial?: TrialOptions;
}

export interface UpdateResult {
  root: string;
  /** Where the manifest came from (the given URL or the recorded source). */
  url: string;
  /** The new commit, or the current one when nothing changed. */
  commit: string;
  previous: string;
  changed: boolean;
  /** True for `check`: nothing was imported or committed. */
  checked: boolean;
  /** True for `downloadOnly`: imported and staged, not committed (`mosctl update --apply` commits it). */
  staged: boolean;
  /** What the update changes (or would change, with `check`). */
  changes: StateChanges;
  system: SystemManifest;
  /** The applied install manifest's serial (0 when it has none). */
  serial: number;
  /** The trial the new state is on (absent when nothing was committed). */
  pending?: PendingRecord;
}

/**
 * `mosctl update` (mos-original §4.10): with the state lock held exclusively, re-verify the
 * current state (signatures, chain, product, every image in the store), fetch and verify the
 * new manifest (signature, chain, not expired), refuse another product, refuse a manifest whose
 * serial is not greater than the newest this machine applied (a replay), import its images, merge (`complete` replaces,
 * `partial` merges by name), and commit exactly `manifest.json` plus the referenced triples.
 * The commit is the last step and atomic: a failure or kill before it leaves the previous
 * state current; images imported by a failed update are unreferenced and left for `gc`.
 * The new state is committed on trial (pending until confirmed; see `commitOnTrial`).
 * Services are not restarted here (see `activateChanges`). With `check`, everything up to the
 * import runs (verification, product, replay) and the changes are returned; nothing is written.
 * With `downloadOnly` the images are imported and the verified manifest is recorded as staged
 * (`R/config/staged.json`) instead of committed; `applyStaged` commits it later. Without `url`
 * the root's recorded source is fetched (`mosctl update` with no URL follows its tag).
 */
export async function update(opts: UpdateOptions): Promise<UpdateResult> {
  const root = opts.root ?? '/';
  if (opts.check && opts.downloadOnly) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', '--check writes nothing; --download-only imports and stages: give one of them');
  const url = opts.url ?? (await readSource(root))?.url;
  if (!url) {
    throw new MosctlError('ERR_MOSCTL_SOURCE_NOT_FOUND', `${root} has no recorded update source: give the URL (mosctl update URL), or record one with mosctl switch URL`);
  }
  const lock = await lockState({ root, mode: 'exclusive', waitMs: STATE_LOCK_WAIT_MS });
  try {
    const current = await loadVerifiedState({ root, ca: opts.manifestCa, checkTarget: await storeTargetCheck(root), now: opts.now });
    const fetched = await fetchInstall(url, opts);
    const next = verifyFetched(fetched, loadTrustAnchors({ caPath: current.caPath }), opts.now);
    const plan = planUpdate(current, next);
    const result = { root, url, previous: current.commit, system: plan.system, changes: plan.changes, serial: plan.serial, checked: !!opts.check, staged: false };
    const recordSource = async () => {
      // `switch` makes url the source; a first update of a root that never recorded one adopts it.
      if (!opts.check && !opts.downloadOnly && opts.url && (opts.setSource || !(await readSource(root)))) await writeSource(root, opts.url, opts.now);
    };
    if (!plan.changed) {
      await recordSource();
      return { ...result, commit: current.commit, changed: false };
    }
    if (opts.check) return { ...result, commit: current.commit, changed: true };
    await importTargets({ root, from: fetched.reference, targets: next.manifest.targets, registry: opts, onProgress: opts.onProgress });
    await checkImported(root, next);
    if (opts.downloadOnly) {
      await writeStaged(root, { url, basedOn: current.commit, at: (opts.now ?? new Date()).toISOString(), serial: plan.serial, signed: next.signed });
      return { ...result, commit: current.commit, changed: true, staged: true };
    }
    const { commit, pending } = await commitUpdate(root, current, next, plan, opts);
    await recordSource();
    return { ...result, commit, changed: true, pending };
  } finally {
    await lock.release();
  }
}
