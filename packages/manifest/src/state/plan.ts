import { InvalidManifestError, ManifestError, type Issue } from '../errors';
import { mergeTargets } from '../merge/merge';
import { allocateUidMaps, type UidRangePolicy } from '../merge/uid-ranges';
import type { InstallManifest, SystemManifest, SysTarget, Target } from '../types';

/** An install manifest together with its sha256 (its file name in manifest.git). */
export interface NamedInstall {
  sha256: string;
  manifest: InstallManifest;
}

const sysTargets = (i: NamedInstall): SysTarget[] => i.manifest.targets.map((t) => ({ name: t.service_name, source: `${i.sha256}.json` }));

/**
 * The system manifest a fresh install gives: every target from the one install manifest,
 * its storage, and an nsgroup range for every nsgroup of its targets *and* its storage (the
 * original forgot storage nsgroups at install -- BUG 3). A partial manifest cannot be
 * installed (there is nothing to merge it into).
 *
 * @example
 * import { systemForInstall, HOST_POLICY } from '@mos/manifest';
 * const system = systemForInstall({ sha256, manifest }, HOST_POLICY);
 */
export function systemForInstall(install: NamedInstall, policy: UidRangePolicy): SystemManifest {
  if (install.manifest.update_type !== 'complete') {
    throw new ManifestError('ERR_MANIFEST_INVALID', 'cannot install a partial manifest: an install needs update_type "complete"');
  }
  const targets = sysTargets(install);
  return withSerial(finish({ targets, storage: install.manifest.storage }, [], new Map([[install.sha256, install.manifest]]), policy), install.manifest.serial ?? 0);
}

/**
 * The system manifest after applying `update` to `current`: merged per `update_type`
 * (complete replaces, partial merges by name/label), nsgroup ranges reused by name and new
 * ones allocated without overlap. `installs` must hold every install manifest the current
 * system references.
 */
export function systemForUpdate(
  current: SystemManifest,
  installs: Map<string, InstallManifest>,
  update: NamedInstall,
  policy: UidRangePolicy,
): SystemManifest {
  const merged = mergeTargets(current, { targets: sysTargets(update), storage: update.manifest.storage }, update.manifest.update_type);
  const all = new Map(installs).set(update.sha256, update.manifest);
  return withSerial(finish(merged, current.uidmaps, all, policy), Math.max(current.newest_serial ?? 0, update.manifest.serial ?? 0));
}

/** The newest applied serial rides along in the committed state (omitted while 0, as the original had none). */
const withSerial = (sys: SystemManifest, serial: number): SystemManifest => (serial > 0 ? { ...sys, newest_serial: serial } : sys);

function finish(
  set: { targets: SysTarget[]; storage: SystemManifest['storage'] },
  previous: SystemManifest['uidmaps'],
  installs: Map<string, InstallManifest>,
  policy: UidRangePolicy,
): SystemManifest {
  const resolved = set.targets.map((t) => resolveTarget(t, installs));
  const labels = new Set(set.storage.map((s) => s.label));
  const issues: Issue[] = [];
  resolved.forEach((t, i) =>
    t.storage.forEach((s, k) => {
      if (!labels.has(s.label)) {
        issues.push({ path: `targets[${i}].storage[${k}].label`, rule: 'undeclared-label', message: `target "${t.service_name}" mounts storage "${s.label}", which the resulting system does not declare` });
      }
    }),
  );
  if (issues.length) throw new InvalidManifestError('resulting system', issues);
  const nsgroups = [...resolved.map((t) => t.nsgroup), ...set.storage.map((s) => s.nsgroup)];
  return { uidmaps: allocateUidMaps({ nsgroups, previous, policy }), targets: set.targets, storage: set.storage };
}

/** The install-manifest target a system target stands for. */
export function resolveTarget(t: SysTarget, installs: Map<string, InstallManifest>): Target {
  const m = installs.get(t.source.replace(/\.json$/, ''));
  const target = m?.targets.find((x) => x.service_name === t.name);
  if (!target) throw new ManifestError('ERR_MANIFEST_TARGET_NOT_FOUND', `target "${t.name}" not found in ${t.source}`);
  return target;
}
