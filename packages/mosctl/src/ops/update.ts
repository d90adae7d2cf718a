import type { ProgressEvent, RemoteAccessOptions } from '@mos/oci-store';
import {
  assertNewer,
  commitState,
  loadVerifiedState,
  lockState,
  stateChanges,
  statePaths,
  storeTargetCheck,
  systemForUpdate,
  uidRangePolicy,
  VerifyFailedError,
  type InstallManifest,
  type PendingRecord,
  type StateChanges,
  type SystemManifest,
} from '@mos/manifest';
import { loadTrustAnchors } from '@mos/trust';
import { fetchInstall, importTargets, verifyFetched } from '@mos/bringup';
import { commitOnTrial, STATE_LOCK_WAIT_MS, type TrialOptions } from './trial';

export interface UpdateOptions extends RemoteAccessOptions {
  root?: string;
  url: string;
  /** Manifest CA (not the registry TLS CA). Default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem. */
  manifestCa?: string;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
  now?: Date;
  /** Fetch and verify, work out the changes, write nothing (`update --check`). */
  check?: boolean;
  /** How the new state is put on trial (confirmed once healthy, else rolled back). */
  trial?: TrialOptions;
}

export interface UpdateResult {
  root: string;
  /** The new commit, or the current one when nothing changed. */
  commit: string;
  previous: string;
  changed: boolean;
  /** True for `check`: nothing was imported or committed. */
  checked: boolean;
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
 */
export async function update(opts: UpdateOptions): Promise<UpdateResult> {
  const root = opts.root ?? '/';
  const lock = await lockState({ root, mode: 'exclusive', waitMs: STATE_LOCK_WAIT_MS });
  try {
    const current = await loadVerifiedState({ root, ca: opts.manifestCa, checkTarget: await storeTargetCheck(root), now: opts.now });
    const fetched = await fetchInstall(opts.url, opts);
    const next = verifyFetched(fetched, loadTrustAnchors({ caPath: current.caPath }), opts.now);
    if (next.product !== current.product) {
      throw new VerifyFailedError(`the update is for product "${next.product}" but this machine runs product "${current.product}"`, 'product-mismatch');
    }
    const installs = new Map([...current.installs].map(([sha, i]) => [sha, i.manifest]));
    const system = systemForUpdate(current.system, installs, { sha256: next.sha256, manifest: next.manifest }, uidRangePolicy());
    const changes = stateChanges({ system: current.system, installs }, { system, installs: new Map<string, InstallManifest>(installs).set(next.sha256, next.manifest) });
    const serial = next.manifest.serial ?? 0;
    const result = { root, previous: current.commit, system, changes, serial };
    if (JSON.stringify(system) === JSON.stringify(current.system)) return { ...result, commit: current.commit, changed: false, checked: !!opts.check };
    // Anything that would change the machine must be newer than all it applied (no replay).
    assertNewer(current.system, next);
    if (opts.check) return { ...result, commit: current.commit, changed: true, checked: true };
    await importTargets({ root, from: fetched.reference, targets: next.manifest.targets, registry: opts, onProgress: opts.onProgress });
    const check = await storeTargetCheck(root);
    for (const t of next.manifest.targets) await check({ name: t.service_name, install: next.sha256, target: t });
    const signed = [...[...current.installs.values()].map((i) => i.signed), next.signed];
    const version = [...new Set(next.manifest.targets.map((t) => t.version))].join(', ');
    const { commit, pending } = await commitOnTrial(root, { previous: current.commit, kind: 'update', nextBoot: changes.nextBoot, trial: opts.trial, now: opts.now }, () =>
      commitState({
        configDir: statePaths(root).configDir,
        state: { system, installs: signed },
        message: `System upgrade to ${next.sha256.slice(0, 12)} (${next.manifest.update_type}: ${version})`,
        now: opts.now,
      }),
    );
    return { ...result, commit, changed: true, checked: false, pending };
  } finally {
    await lock.release();
  }
}
