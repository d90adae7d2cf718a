import type { PendingRecord, StateChanges } from '@mos/manifest';
import type { ActivationResult } from '../ops/activate-changes';

/** The changes of an update or rollback in a few lines: what changed, not every target. */
export function renderChanges(c: StateChanges): string {
  if (c.empty) return '  no target or volume changes\n';
  const v = (s?: { version: string; digest: string }) => (s ? `${s.version} (${s.digest.slice(7, 19)})` : '');
  const boot = (name: string) => (c.nextBoot.includes(name) ? ', takes effect at the next boot' : '');
  const lines = [
    ...c.added.map((t) => `  + ${t.name} ${v(t.to)} added${boot(t.name)}`),
    ...c.changed.map((t) => `  ~ ${t.name} ${v(t.from)} -> ${v(t.to)}${boot(t.name)}`),
    ...c.removed.map((t) => `  - ${t.name} ${v(t.from)} removed${boot(t.name)}`),
    ...c.storageAdded.map((l) => `  + volume ${l}`),
    ...c.storageRemoved.map((l) => `  - volume ${l} (its data stays on disk)`),
  ];
  return lines.join('\n') + '\n';
}

/** What the activation did, or why it did not run. */
export function renderActivation(a: ActivationResult): string {
  if (!a.ran) return `services: not touched (${a.why})\n`;
  const parts = [
    a.restarted.length && `restarted ${a.restarted.join(', ')}`,
    a.started.length && `started ${a.started.join(', ')}`,
    a.stopped.length && `stopped ${a.stopped.join(', ')}`,
  ].filter(Boolean);
  const bad = a.notRunning.length ? `; NOT running: ${a.notRunning.join(', ')} (mosctl services shows why; mosctl rollback returns to the previous state)` : '';
  return `services: ${parts.join('; ') || 'nothing to do'}${bad}\n`;
}

/** The trial the new state is on, in one line: what confirms it and what happens if nothing does. */
export function renderTrial(p: PendingRecord): string {
  const dur = (s: number) => (s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${s}s`);
  if (!p.watch) return 'pending: not watched (--no-activate); mosctl confirm keeps it, mosctl rollback leaves it\n';
  const when = p.nextBoot.length ? `after the next boot (${p.nextBoot.join(', ')}), ` : '';
  const otherwise = p.autoRollback ? `else rolled back by itself after ${dur(p.timeoutSeconds)}` : `else it stays pending after ${dur(p.timeoutSeconds)} (no auto-rollback)`;
  return `pending: ${when}confirmed once every container service runs healthy for ${dur(p.settleSeconds)}, ${otherwise}; mosctl confirm confirms by hand\n`;
}
