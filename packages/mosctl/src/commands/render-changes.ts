import type { StateChanges } from '@mos/manifest';
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
