import type { RestartPolicy } from '../settings';
import type { ProcessExit } from '../sys';
import { decideAfterExit, type EndReason } from './backoff';

/** Time as the supervisor sees it (tests pass a fake one). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** One run of a service's process. */
export interface RunHandle {
  /** The service's pid once it runs; null when the run ended before it was up. */
  running: Promise<number | null>;
  exited: Promise<ProcessExit>;
  /** Asks the run to end: SIGTERM, SIGKILL after `graceMs`. Resolves when the request is made. */
  stop(graceMs: number): Promise<void>;
}

/** Starts runs of one service (lxc-execute for real, a fake in unit tests). */
export interface Runner {
  start(): RunHandle;
}

export type UnitState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

/** How the last run ended. */
export interface LastExit {
  code: number | null;
  signal: string | null;
  reason: EndReason;
  at: number;
}

/**
 * The life of one supervised service: start, watch, restart with backoff, give up as `failed`,
 * stop on request. It owns no machine effects -- those are the {@link Runner}'s -- so the state
 * machine is tested with a fake clock and runner.
 */
export class ServiceUnit {
  state: UnitState = 'stopped';
  pid: number | null = null;
  restarts = 0;
  lastExit: LastExit | null = null;
  since: number;
  /** Set when the unit gave up: why, and what the service printed last. */
  failure: { reason: string; logTail: string[] } | null = null;
  private consecutive = 0;
  private startedAt = 0;
  private handle: RunHandle | null = null;
  private timer: unknown = null;
  private nextReason: EndReason = 'exit';
  private waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly runner: Runner,
    private readonly policy: RestartPolicy,
    private readonly clock: Clock,
    private readonly hooks: { onChange?: () => void; onRunning?: (pid: number) => void; onRunEnd?: () => void; logTail?: () => string[] } = {},
  ) {
    this.since = clock.now();
  }

  /** Starts the service (from stopped or failed). */
  start(): void {
    if (this.state !== 'stopped' && this.state !== 'failed') return;
    this.consecutive = 0;
    this.failure = null;
    this.launch();
  }

  /** Resolves once the unit is up, gave up, stopped, or its first run ended (boot waits on this). */
  settled(): Promise<void> {
    if (this.state !== 'starting') return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Ends the current run as unhealthy; it is then restarted like a crash. */
  async restartUnhealthy(graceMs: number): Promise<void> {
    if (!this.handle || this.state !== 'running') return;
    this.nextReason = 'unhealthy';
    await this.handle.stop(graceMs);
  }

  /** Stops the service and waits until its run has ended. */
  async stop(graceMs: number): Promise<void> {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const h = this.handle;
    if (!h) {
      this.set('stopped');
      return;
    }
    this.set('stopping');
    await h.stop(graceMs);
    await h.exited;
    // onExit has run (it is chained before us on the same promise) and set the state.
  }

  private launch(): void {
    this.timer = null;
    this.nextReason = 'exit';
    this.startedAt = this.clock.now();
    const h = this.runner.start();
    this.handle = h;
    this.set('starting');
    h.running.then(
      (pid) => {
        if (this.handle !== h || pid === null || this.state !== 'starting') return;
        this.pid = pid;
        this.set('running');
        this.hooks.onRunning?.(pid);
      },
      () => undefined,
    );
    h.exited.then((exit) => this.onExit(h, exit));
  }

  private onExit(h: RunHandle, exit: ProcessExit): void {
    if (this.handle !== h) return;
    this.handle = null;
    this.pid = null;
    this.hooks.onRunEnd?.();
    const now = this.clock.now();
    if (this.state === 'stopping') {
      this.set('stopped');
      return;
    }
    const reason = this.nextReason;
    this.lastExit = { code: exit.code, signal: exit.signal, reason, at: now };
    const d = decideAfterExit({ consecutive: this.consecutive, ranMs: now - this.startedAt, code: exit.code, reason }, this.policy);
    this.consecutive = d.consecutive;
    if (d.action === 'restart') {
      this.set('backoff');
      this.timer = this.clock.setTimeout(() => {
        this.restarts++;
        this.launch();
      }, d.delayMs);
    } else if (d.action === 'fail') {
      const what = reason === 'unhealthy' ? 'was unhealthy' : `exited (${describeExit(exit)})`;
      this.failure = { reason: `${what} ${d.consecutive} times in a row; gave up`, logTail: this.hooks.logTail?.() ?? [] };
      this.set('failed');
    } else {
      this.set('stopped');
    }
  }

  private set(state: UnitState): void {
    this.state = state;
    this.since = this.clock.now();
    if (state !== 'starting') this.waiters.splice(0).forEach((w) => w());
    this.hooks.onChange?.();
  }
}

/** `status 3`, `signal SIGKILL`. */
export const describeExit = (e: { code: number | null; signal: string | null }) => (e.signal ? `signal ${e.signal}` : `status ${e.code}`);
