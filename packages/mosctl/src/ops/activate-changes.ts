import type { StateChanges } from '@mos/manifest';
import { activate, boot, deactivate, serviceStatus, supervisorRunning, type ServiceStatus } from '@mos/services';

/** What bringing the running services in line with a new state did. */
export interface ActivationResult {
  /** False when nothing ran: no supervisor for this root, `--no-activate`, or nothing live changed. */
  ran: boolean;
  /** Why nothing ran, in words (when `ran` is false). */
  why?: string;
  /** Changed services that were restarted, added ones started, removed ones stopped. */
  restarted: string[];
  started: string[];
  stopped: string[];
  /** Services of the new state that do not run after the activation (a failed start, a crash). */
  notRunning: string[];
  /** The services the activation touched, as the supervisor reports them after it. */
  services: ServiceStatus[];
}

const none = (why: string): ActivationResult => ({ ran: false, why, restarted: [], started: [], stopped: [], notRunning: [], services: [] });

/**
 * Brings the running services of `root` in line with the state just committed: containers
 * whose target changed are restarted, added targets started, removed ones stopped, fs-only
 * mounts swapped; unchanged services are not touched (the supervisor keeps a service whose
 * signed target is the same). hostfs and bootkit changes wait for the next boot. When the
 * system was booted (`mosctl boot`) the supervisor re-syncs the whole state; when services
 * were only activated one by one, only those active are touched; when no supervisor runs,
 * nothing runs and `mosctl boot` will start the new state.
 *
 * @example
 * import { activateChanges } from '@mos/mosctl';
 * const a = await activateChanges({ root: '/', changes, supervisorCommand: ['/usr/bin/mosctl', 'supervise'] });
 */
export async function activateChanges(opts: { root: string; changes: StateChanges; supervisorCommand: string[]; ca?: string }): Promise<ActivationResult> {
  const { root, changes } = opts;
  const live = (names: { name: string }[]) => names.map((c) => c.name).filter((n) => !changes.nextBoot.includes(n));
  const wanted = { restarted: live(changes.changed), started: live(changes.added), stopped: live(changes.removed) };
  if (!wanted.restarted.length && !wanted.started.length && !wanted.stopped.length && !changes.storageAdded.length) {
    return none(changes.nextBoot.length ? `only ${changes.nextBoot.join(', ')} changed, which take effect at the next boot` : 'no service changed');
  }
  if (!(await supervisorRunning(root))) return none('no services run on this root; mosctl boot starts the new state');
  const before = serviceStatus({ root });
  const active = new Set(before.services.map((s) => s.name));
  const touched = new Set([...wanted.restarted, ...wanted.started, ...wanted.stopped]);
  if (before.supervisor.booted) {
    const r = await boot({ root, ca: opts.ca, supervisorCommand: opts.supervisorCommand });
    return { ran: true, ...wanted, notRunning: r.notRunning, services: r.services.filter((s) => touched.has(s.name)) };
  }
  // Only some services were activated by hand: touch those, start nothing new.
  const result: ActivationResult = { ran: true, restarted: [], started: [], stopped: [], notRunning: [], services: [] };
  for (const name of wanted.stopped.filter((n) => active.has(n))) {
    await deactivate({ root, name });
    result.stopped.push(name);
  }
  for (const name of wanted.restarted.filter((n) => active.has(n))) {
    result.restarted.push(name);
    // A failed start is recorded by the supervisor (state failed, its reason): report, go on.
    const s = await activate({ root, name, ca: opts.ca, supervisorCommand: opts.supervisorCommand }).catch(() => undefined);
    if (!s || !['running', 'mounted'].includes(s.state)) result.notRunning.push(name);
  }
  result.services = serviceStatus({ root }).services.filter((s) => touched.has(s.name));
  return result;
}
