import type { Clock } from '../supervisor/unit';
import type { HealthSpec } from './health-spec';

export type Health = 'none' | 'starting' | 'healthy' | 'unhealthy';

/**
 * Runs a service's health check while it runs: every `interval`, `check()` (bounded by
 * `timeout` by the caller); `retries` failures in a row (not counting `startPeriod`) make it
 * unhealthy and call `onUnhealthy` once per run.
 */
export class HealthMonitor {
  health: Health = 'starting';
  private timer: unknown = null;
  private failures = 0;
  private startedAt = 0;
  private runId = 0;

  constructor(
    private readonly spec: HealthSpec,
    private readonly check: () => Promise<boolean>,
    private readonly clock: Clock,
    private readonly onUnhealthy: () => void,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** A new run of the service started. */
  start(): void {
    this.stop();
    this.health = 'starting';
    this.failures = 0;
    this.startedAt = this.clock.now();
    this.schedule(++this.runId);
  }

  /** The run ended: no more checks until the next start. */
  stop(): void {
    this.runId++;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(id: number): void {
    this.timer = this.clock.setTimeout(() => void this.tick(id), this.spec.interval * 1000);
  }

  private async tick(id: number): Promise<void> {
    this.timer = null;
    let ok = false;
    try {
      ok = await this.check();
    } catch {
      ok = false;
    }
    if (id !== this.runId) return;
    const inGrace = this.clock.now() - this.startedAt < this.spec.startPeriod * 1000;
    if (ok) {
      this.failures = 0;
      this.set('healthy');
    } else if (!inGrace && ++this.failures >= this.spec.retries) {
      this.set('unhealthy');
      this.onUnhealthy();
      return;
    }
    this.schedule(id);
  }

  private set(h: Health): void {
    if (h === this.health) return;
    this.health = h;
    this.onChange();
  }
}
