import {
  assertNewer,
  commitState,
  readStaged,
  clearStaged,
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
  type VerifiedInstall,
  type VerifiedState,
} from '@mos/manifest';
import { commitOnTrial, type TrialOptions } from './trial';

/** What applying one verified install manifest to the current state would do. */
export interface UpdatePlan {
  system: SystemManifest;
  changes: StateChanges;
  /** The manifest's signed serial (0 without one). */
  serial: number;
  /** False when the manifest is applied already: the merged state is the current one. */
  changed: boolean;
}

/**
 * Plans an update of `current` by `next` (already verified): the product must match, the merge
 * follows `update_type`, and anything that would change the machine must carry a serial
 * greater than every one applied here (no replay). Writes nothing.
 */
export function planUpdate(current: VerifiedState, next: VerifiedInstall): UpdatePlan {
  if (next.product !== current.product) {
    throw new VerifyFailedError(`the update is for product "${next.product}" but this machine runs product "${current.product}"`, 'product-mismatch');
  }
  const installs = new Map([...current.installs].map(([sha, i]) => [sha, i.manifest]));
  const system = systemForUpdate(current.system, installs, { sha256: next.sha256, manifest: next.manifest }, uidRangePolicy());
  const changes = stateChanges({ system: current.system, installs }, { system, installs: new Map<string, InstallManifest>(installs).set(next.sha256, next.manifest) });
  const serial = next.manifest.serial ?? 0;
  const changed = JSON.stringify(system) !== JSON.stringify(current.system);
  if (changed) assertNewer(current.system, next);
  return { system, changes, serial, changed };
}

/** Checks that every image `next` names is in the store, complete (each target, naming the first that is not). */
export async function checkImported(root: string, next: VerifiedInstall): Promise<void> {
  const check = await storeTargetCheck(root);
  for (const t of next.manifest.targets) await check({ name: t.service_name, install: next.sha256, target: t });
}

/**
 * Commits the planned state on trial (the last step, atomic) with the message the original
 * writes, then (unless `keepStaged`: `--apply` marks the record itself) forgets a staged
 * update that the new state makes stale (its serial is not greater any more: applying it would
 * be refused as a replay).
 */
export async function commitUpdate(
  root: string,
  current: VerifiedState,
  next: VerifiedInstall,
  plan: UpdatePlan,
  opts: { trial?: TrialOptions; now?: Date; keepStaged?: boolean },
): Promise<{ commit: string; pending: PendingRecord }> {
  const signed = [...[...current.installs.values()].map((i) => i.signed), next.signed];
  const version = [...new Set(next.manifest.targets.map((t) => t.version))].join(', ');
  const r = await commitOnTrial(root, { previous: current.commit, kind: 'update', nextBoot: plan.changes.nextBoot, trial: opts.trial, now: opts.now }, () =>
    commitState({
      configDir: statePaths(root).configDir,
      state: { system: plan.system, installs: signed },
      message: `System upgrade to ${next.sha256.slice(0, 12)} (${next.manifest.update_type}: ${version})`,
      now: opts.now,
    }),
  );
  const staged = opts.keepStaged ? undefined : await readStaged(root);
  if (staged && (staged.signed.sha256 === next.sha256 || staged.serial <= plan.serial)) await clearStaged(root);
  return r;
}
