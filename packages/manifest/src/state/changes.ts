import type { InstallManifest, StorageItem, SystemManifest, Target } from '../types';
import { resolveTarget } from './plan';

/** A system state as the change plan needs it: the system manifest and the install manifests it names. */
export interface StateView {
  system: SystemManifest;
  installs: Map<string, InstallManifest>;
}

/** One target in a change plan. */
export interface TargetChange {
  name: string;
  type: Target['service_type'];
  /** Version and image before (absent for an added target). */
  from?: { version: string; digest: string };
  /** Version and image after (absent for a removed target). */
  to?: { version: string; digest: string };
}

/**
 * What going from one state to another changes: targets added, changed (any field of the
 * signed target entry: image, version, network, nsgroup, storage), removed; storage volumes
 * added and removed; and which of the changes only take effect at the next boot (hostfs, and
 * the bootkit, which live below the running system).
 */
export interface StateChanges {
  added: TargetChange[];
  changed: TargetChange[];
  removed: TargetChange[];
  unchanged: string[];
  storageAdded: string[];
  storageRemoved: string[];
  /** Names of added/changed/removed targets that take effect at the next boot. */
  nextBoot: string[];
  /** True when nothing above changed (the uid ranges or the newest serial may still differ). */
  empty: boolean;
}

/** Targets below the running system: they change at the next boot, never live. */
export const takesEffectAtBoot = (t: Target): boolean => t.service_type === 'hostfs' || t.service_name === 'bootkit';

const side = (t: Target) => ({ version: t.version, digest: t.digest });

/**
 * The changes between two states, targets in the order of the state they come from (added and
 * changed in the new state's order, removed in the old one's).
 *
 * @example
 * import { stateChanges } from '@mos/manifest';
 * const plan = stateChanges({ system: cur.system, installs }, { system: next, installs: nextInstalls });
 * console.log(plan.changed.map((c) => `${c.name} ${c.from?.version} -> ${c.to?.version}`));
 */
export function stateChanges(before: StateView, after: StateView): StateChanges {
  const resolve = (v: StateView) => new Map(v.system.targets.map((t) => [t.name, resolveTarget(t, v.installs)]));
  const old = resolve(before);
  const now = resolve(after);
  const added: TargetChange[] = [];
  const changed: TargetChange[] = [];
  const unchanged: string[] = [];
  for (const [name, t] of now) {
    const was = old.get(name);
    if (!was) added.push({ name, type: t.service_type, to: side(t) });
    else if (JSON.stringify(was) !== JSON.stringify(t)) changed.push({ name, type: t.service_type, from: side(was), to: side(t) });
    else unchanged.push(name);
  }
  const removed = [...old].filter(([name]) => !now.has(name)).map(([name, t]): TargetChange => ({ name, type: t.service_type, from: side(t) }));
  const labels = (s: StorageItem[]) => new Set(s.map((x) => x.label));
  const oldLabels = labels(before.system.storage);
  const newLabels = labels(after.system.storage);
  const storageAdded = [...newLabels].filter((l) => !oldLabels.has(l));
  const storageRemoved = [...oldLabels].filter((l) => !newLabels.has(l));
  const atBoot = (name: string) => [now.get(name), old.get(name)].some((t) => t && takesEffectAtBoot(t));
  const nextBoot = [...added, ...changed, ...removed].map((c) => c.name).filter(atBoot);
  const empty = !added.length && !changed.length && !removed.length && !storageAdded.length && !storageRemoved.length;
  return { added, changed, removed, unchanged, storageAdded, storageRemoved, nextBoot, empty };
}
