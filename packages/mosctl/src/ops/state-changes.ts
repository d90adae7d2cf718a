import { activateChanges, type ActivationResult } from './activate-changes';
import { applyStaged, type ApplyOptions } from './apply-staged';
import { rollback, type RollbackOptions, type RollbackResult } from './rollback';
import { update, type UpdateOptions, type UpdateResult } from './update';

/**
 * The state-changing operations as both front ends run them (the CLI and the API): the
 * operation, then -- when it made a new state current and `activate` is not false -- the
 * running services brought in line; and the one JSON document both print.
 */
export interface Changed<R> {
  result: R;
  activation?: ActivationResult;
  document: Record<string, unknown>;
}

interface Activate {
  /** Bring the running services in line after a commit. Default true. */
  activate?: boolean;
  /** The command that starts a root's supervisor when none runs (`mosctl supervise --rfs R`). */
  supervisorCommand: (root: string) => string[];
}

/** `update` (or `update --apply` with `apply`), then activation. */
export async function updateAndActivate(opts: (UpdateOptions | (ApplyOptions & { apply: true })) & Activate): Promise<Changed<UpdateResult & { appliedAs?: string }>> {
  const r: UpdateResult & { appliedAs?: string } = 'apply' in opts && opts.apply ? await applyStaged(opts) : await update(opts as UpdateOptions);
  const activation = r.changed && !r.checked && !r.staged && opts.activate !== false ? await activate(r.root, r.changes, opts) : undefined;
  const document = {
    root: r.root,
    url: r.url,
    changed: r.changed,
    checked: r.checked,
    staged: r.staged,
    ...(r.appliedAs && { appliedAs: r.appliedAs }),
    commit: r.commit,
    previous: r.previous,
    serial: r.serial,
    changes: r.changes,
    activation,
    pending: r.pending,
    targets: r.system.targets,
  };
  return { result: r, activation, document };
}

/** `rollback`, then activation. */
export async function rollbackAndActivate(opts: RollbackOptions & Activate): Promise<Changed<RollbackResult>> {
  const r = await rollback(opts);
  const activation = r.changed && opts.activate !== false ? await activate(r.root, r.changes, opts) : undefined;
  const document = { root: r.root, changed: r.changed, commit: r.commit, previous: r.previous, target: r.target, changes: r.changes, activation, pending: r.pending };
  return { result: r, activation, document };
}

function activate(root: string, changes: UpdateResult['changes'], opts: Activate & { manifestCa?: string }): Promise<ActivationResult> {
  return activateChanges({ root, changes, ca: opts.manifestCa, supervisorCommand: opts.supervisorCommand(root) });
}
