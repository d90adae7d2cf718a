import type { StorageItem, SysTarget, UpdateType } from '../types';

/** The parts of a system an update replaces or merges. */
export interface TargetSet {
  targets: SysTarget[];
  storage: StorageItem[];
}

/**
 * Merges an update into the current system (§4.10 step 6 of the original):
 * - `complete`: the result is exactly the update's targets and storage;
 * - `partial`: the current targets whose name the update does not mention, in their order,
 *   then the update's; storage likewise by label.
 *
 * @example
 * import { mergeTargets } from '@mos/manifest';
 * mergeTargets(current, update, 'partial');
 */
export function mergeTargets(current: TargetSet, update: TargetSet, updateType: UpdateType): TargetSet {
  if (updateType === 'complete') return { targets: [...update.targets], storage: [...update.storage] };
  const names = new Set(update.targets.map((t) => t.name));
  const labels = new Set(update.storage.map((s) => s.label));
  return {
    targets: [...current.targets.filter((t) => !names.has(t.name)), ...update.targets],
    storage: [...current.storage.filter((s) => !labels.has(s.label)), ...update.storage],
  };
}
