import { NoStateError } from '../errors';
import { readCommittedState, stateHistory, type HistoryEntry } from '../git/state-repo';
import type { SystemManifest } from '../types';

/** The system manifest without what only ever grows (the newest serial): what a state *is*. */
export const sameSystem = (a: SystemManifest, b: SystemManifest): boolean => {
  const strip = ({ newest_serial: _, ...rest }: SystemManifest) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
};

/**
 * The state a rollback goes to by default: the most recent state before the current one whose
 * system differs from it. Rolling back twice therefore returns to where it started, as the
 * commit a rollback makes is itself a state. `undefined` when there is none (the first
 * install, or a history of identical states).
 */
export async function findRollbackTarget(opts: { configDir: string }): Promise<HistoryEntry | undefined> {
  const history = await stateHistory({ configDir: opts.configDir });
  if (!history.length) throw new NoStateError('no state has been committed on this root');
  const current = (await readCommittedState({ configDir: opts.configDir, commit: history[0].commit })).system;
  for (const h of history.slice(1)) {
    // A state older than a corrupt one is still a target; a corrupt one is not.
    const s = await readCommittedState({ configDir: opts.configDir, commit: h.commit }).catch(() => undefined);
    if (s && !sameSystem(s.system, current)) return h;
  }
  return undefined;
}
