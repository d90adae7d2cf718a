import type { RestartPolicy } from '../settings';

/** Why a run of a service ended without being asked to. */
export type EndReason = 'exit' | 'unhealthy';

/** What to do after a run ended on its own. */
export type ExitDecision =
  | { action: 'restart'; delayMs: number; consecutive: number }
  | { action: 'fail'; consecutive: number }
  | { action: 'stop'; consecutive: number };

/**
 * The restart rule, pure so a table pins it: a run that lasted at least `stableAfterMs`
 * resets the count of consecutive crashes; the n-th consecutive crash waits
 * `min(initialDelayMs * 2^(n-1), maxDelayMs)`; crash number `maxRetries + 1` marks the service
 * failed. With policy `on-failure` a clean exit (status 0) stops the service instead.
 *
 * @example
 * import { decideAfterExit, DEFAULT_SETTINGS } from '@mos/services';
 * decideAfterExit({ consecutive: 0, ranMs: 50, code: 1, reason: 'exit' }, DEFAULT_SETTINGS.restart);
 * // { action: 'restart', delayMs: 1000, consecutive: 1 }
 */
export function decideAfterExit(
  run: { consecutive: number; ranMs: number; code: number | null; reason: EndReason },
  policy: RestartPolicy,
): ExitDecision {
  const consecutive = run.ranMs >= policy.stableAfterMs ? 1 : run.consecutive + 1;
  if (policy.policy === 'on-failure' && run.reason === 'exit' && run.code === 0) return { action: 'stop', consecutive: 0 };
  if (consecutive > policy.maxRetries) return { action: 'fail', consecutive };
  const delayMs = Math.min(policy.initialDelayMs * 2 ** (consecutive - 1), policy.maxDelayMs);
  return { action: 'restart', delayMs, consecutive };
}
