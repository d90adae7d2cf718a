import type { Culprit, PendingRecord } from '@mos/manifest';
import type { ServiceStatus, ServicesStatus } from '@mos/services';

/** What the watch of a pending state sees at one moment. */
export interface TrialView {
  /** The pending record, resolved to the current commit. */
  pending: PendingRecord & { commit: string };
  /** The container targets of the pending state: what must run, with which image. */
  containers: { name: string; digest: string }[];
  supervisor: ServicesStatus['supervisor'];
  services: ServiceStatus[];
  /** The state the machine booted, when bringup recorded one (for hostfs/bootkit changes). */
  bootedCommit?: string;
  now: Date;
  /** Since when (ms) every container has been proving itself, as the last look saw; undefined when not. */
  provingSince?: number;
}

export type TrialVerdict =
  /** Keep watching. `deadline` once the trial started; `provingSince` to carry to the next look. */
  | { action: 'wait'; why: string; deadline?: Date; provingSince?: number }
  | { action: 'confirm' }
  | { action: 'rollback'; reason: string; culprits: Culprit[] }
  /** The deadline passed, auto-rollback is off: stays pending, and says so. */
  | { action: 'overdue'; why: string; deadline: Date; culprits: Culprit[] };

/** When the trial of `view` started (undefined: not yet — services not booted, or the boot it waits for not done). */
export function trialStart(view: Pick<TrialView, 'pending' | 'supervisor' | 'bootedCommit'>): Date | undefined {
  const { pending, supervisor } = view;
  if (!pending.watch || !supervisor.running || !supervisor.booted || !supervisor.since) return undefined;
  if (pending.nextBoot.length && view.bootedCommit !== pending.commit) return undefined;
  // Services started after the commit (a reboot, a `mosctl boot` later): the clock starts with them.
  return new Date(Math.max(Date.parse(pending.since), Date.parse(supervisor.since)));
}

/** Why a container target does not prove the state, or undefined when it does. */
function problemOf(want: { name: string; digest: string }, s: ServiceStatus | undefined): Culprit | undefined {
  const base = (problem: string): Culprit => ({ name: want.name, problem, lastExit: s?.lastExit ?? null, ...(s?.failure && { logTail: s.failure.logTail }) });
  if (!s) return base('not active');
  if (s.digest !== want.digest) return base('runs another image');
  if (s.state !== 'running') return base(s.state === 'failed' ? `failed${s.failure ? `: ${s.failure.reason}` : ''}` : `not running (${s.state})`);
  if (s.health === 'unhealthy') return base('unhealthy');
  if (s.health === 'starting') return base('health check not passed yet');
  return undefined;
}

/**
 * The decision of one look at a pending state: confirm once every container service of the
 * state has run its image and been healthy (or has no health check) for the settle time;
 * roll back when the deadline passes first (or stay pending, saying so, without auto-rollback);
 * otherwise wait. A service that restarts resets the settle clock, as the caller carries
 * `provingSince` only while every service proves itself.
 */
export function judgeTrial(view: TrialView): TrialVerdict {
  const start = trialStart(view);
  const p = view.pending;
  if (!start) {
    const why = !p.watch
      ? 'not watched (--no-activate): mosctl confirm or mosctl rollback'
      : p.nextBoot.length && view.bootedCommit !== p.commit
        ? `waits for the next boot (${p.nextBoot.join(', ')} changed)`
        : 'waits for the services to be booted (mosctl boot)';
    return { action: 'wait', why };
  }
  const deadline = new Date(start.getTime() + p.timeoutSeconds * 1000);
  const byName = new Map(view.services.map((s) => [s.name, s]));
  const culprits = view.containers.map((c) => problemOf(c, byName.get(c.name))).filter((c): c is Culprit => !!c);
  const now = view.now.getTime();
  if (!culprits.length) {
    const since = view.provingSince ?? now;
    if (now - since >= p.settleSeconds * 1000) return { action: 'confirm' };
    return { action: 'wait', why: `every service healthy; settling (${p.settleSeconds}s)`, deadline, provingSince: since };
  }
  if (now < deadline.getTime()) return { action: 'wait', why: `waiting for ${culprits.map((c) => `${c.name} (${c.problem})`).join(', ')}`, deadline };
  const what = culprits.map((c) => `${c.name} ${c.problem}${c.lastExit ? `, last exit ${exitText(c.lastExit)}` : ''}`).join('; ');
  const reason = `not confirmed within ${p.timeoutSeconds}s: ${what}`;
  return p.autoRollback ? { action: 'rollback', reason, culprits } : { action: 'overdue', why: reason, deadline, culprits };
}

function exitText(e: NonNullable<Culprit['lastExit']>): string {
  return e.signal ? `signal ${e.signal} (${e.reason})` : `code ${e.code} (${e.reason})`;
}
