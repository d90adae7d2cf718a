import { existsSync } from 'node:fs';
import { loadInstallManifest, pendingFor, readCommittedState, readLifecycle, resolveTarget, stateHistory, statePaths } from '@mos/manifest';
import { serviceLogTail, serviceStatus } from '@mos/services';
import { activateChanges } from './activate-changes';
import { readBooted, recordBootFallback } from './boot-fallback';
import { confirm } from './confirm';
import { rollback } from './rollback';
import { judgeTrial, type TrialVerdict } from './trial-verdict';

export interface TrialWatch {
  /** Stops looking; resolves once a look in progress (a confirm, a rollback) has finished. */
  stop(): Promise<void>;
}

/** The state bringup booted, as it records it in `R/run/mos/booted.json`; undefined on a root nothing booted. */
export const bootedCommit = async (root: string) => (await readBooted(root))?.commit;

/**
 * The watch over a pending state, run by the supervisor process (`mosctl supervise`): once a
 * second it looks at the pending record and the services and confirms the state once every
 * container service has proved itself for the settle time, or rolls back by itself when the
 * deadline passes (`judgeTrial`). An automatic rollback goes to the state before the trial,
 * re-verified, as a new commit whose own trial has auto-rollback off (no ping-pong between two
 * bad states), records why (each service at fault, its last exit and log tail) and activates
 * what changed back. A look that cannot take the state lock (an update runs) tries again later.
 */
export function watchTrial(opts: { root: string; supervisorCommand: string[]; ca?: string; intervalMs?: number; log?: (line: string) => void }): TrialWatch {
  const { root } = opts;
  const log = opts.log ?? (() => {});
  const interval = opts.intervalMs ?? 1000;
  let provingSince: number | undefined;
  let fingerprint = '';
  let retryAt = 0;
  const containers = new Map<string, { name: string; digest: string }[]>();
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function containersOf(commit: string) {
    if (!containers.has(commit)) containers.set(commit, await containerTargetsOf(root, commit));
    return containers.get(commit)!;
  }

  async function look(): Promise<void> {
    if (!existsSync(statePaths(root).manifestGit) || Date.now() < retryAt) return;
    const [head, parent] = await stateHistory({ configDir: statePaths(root).configDir, depth: 2 });
    // A boot that fell back to the previous state is recorded as the rollback it is.
    const fellBack = await recordBootFallback({ root, ca: opts.ca });
    if (fellBack) {
      log(`the boot fell back: rolled back to ${fellBack.target.slice(0, 12)} as commit ${fellBack.commit.slice(0, 12)}`);
      await activateChanges({ root, changes: fellBack.changes, ca: opts.ca, supervisorCommand: opts.supervisorCommand });
      return;
    }
    const pending = pendingFor(await readLifecycle(root), head.commit, parent?.commit);
    if (!pending) {
      provingSince = undefined;
      return;
    }
    const svc = serviceStatus({ root });
    // A restart (new pid, more restarts) since the last look starts the settle time again.
    const fp = svc.services.map((s) => `${s.name}:${s.pid}:${s.restarts}:${s.state}`).join(',') + `@${head.commit}`;
    if (fp !== fingerprint) provingSince = undefined;
    fingerprint = fp;
    const verdict = judgeTrial({
      pending: { ...pending, commit: head.commit },
      containers: await containersOf(head.commit),
      supervisor: svc.supervisor,
      services: svc.services,
      bootedCommit: await bootedCommit(root),
      now: new Date(),
      provingSince,
    });
    provingSince = verdict.action === 'wait' ? verdict.provingSince : undefined;
    await act(verdict, head.commit, pending.previous, pending);
  }

  async function act(v: TrialVerdict, commit: string, previous: string, p: { timeoutSeconds: number; settleSeconds: number }) {
    if (v.action === 'confirm') {
      const r = await confirm({ root, by: 'auto', expect: commit, lockWaitMs: 0 });
      if (r.confirmed) log(`confirmed ${commit.slice(0, 12)}: every service healthy for ${p.settleSeconds}s`);
    } else if (v.action === 'rollback') {
      log(`rolling back from ${commit.slice(0, 12)} to ${previous.slice(0, 12)}: ${v.reason}`);
      // A service still retrying has no failure record with its log: take the tail of its output.
      const services = v.culprits.map((c) => (c.logTail?.length ? c : { ...c, logTail: serviceLogTail({ root, name: c.name, lines: 10 }) }));
      const r = await rollback({
        root,
        to: previous,
        reason: `automatic: ${v.reason}`,
        automatic: { from: commit, reason: v.reason, services },
        manifestCa: opts.ca,
        lockWaitMs: 0,
        trial: { autoRollback: false, timeoutSeconds: p.timeoutSeconds, settleSeconds: p.settleSeconds },
      });
      const a = await activateChanges({ root, changes: r.changes, ca: opts.ca, supervisorCommand: opts.supervisorCommand });
      log(`rolled back: commit ${r.commit.slice(0, 12)}; ${a.ran ? `restarted ${a.restarted.join(', ') || 'nothing'}` : a.why}`);
    }
  }

  const tick = () => {
    if (stopped) return;
    current = look()
      .catch((e: Error & { code?: string }) => {
        // Contention (an update holds the lock) or a transient read: look again later, say why once.
        if (e.code !== 'ERR_MANIFEST_LOCKED') log(`trial watch: ${e.code ?? 'error'}: ${e.message}`);
        if (e.code !== 'ERR_MANIFEST_LOCKED') retryAt = Date.now() + 30_000;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, interval);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}

/** The container targets of a committed state (read, not verified: they only say what a trial waits for). */
export async function containerTargetsOf(root: string, commit: string): Promise<{ name: string; digest: string }[]> {
  const s = await readCommittedState({ configDir: statePaths(root).configDir, commit });
  const installs = new Map([...s.installs].map(([sha, i]) => [sha, loadInstallManifest(i.json, `${sha}.json`).manifest]));
  return s.system.targets
    .map((t) => resolveTarget(t, installs))
    .filter((t) => t.service_type === 'container')
    .map((t) => ({ name: t.service_name, digest: t.digest }));
}
