// Fakes for the supervisor's state machine: a clock whose time only moves when told, and a
// runner whose runs start, come up and end when the test says.
import type { Clock, ProcessExit, RunHandle, Runner } from '@mos/services';

export class FakeClock implements Clock {
  t = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Pending timer delays, relative to now. */
  pending = () => this.timers.map((x) => x.at - this.t);
  /** Moves time forward, firing due timers in order (and letting promises settle in between). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

export const flush = () => new Promise<void>((r) => setImmediate(r));

export class FakeRun implements RunHandle {
  running: Promise<number | null>;
  exited: Promise<ProcessExit>;
  up!: (pid: number | null) => void;
  end!: (e: ProcessExit) => void;
  stopCalls: number[] = [];
  constructor() {
    this.running = new Promise((r) => (this.up = r));
    this.exited = new Promise((r) => (this.end = r));
  }
  async stop(graceMs: number): Promise<void> {
    this.stopCalls.push(graceMs);
    this.up(null);
    this.end({ code: null, signal: 'SIGTERM' });
  }
  /** The process ends by itself. */
  exit(code: number): void {
    this.up(null);
    this.end({ code, signal: null });
  }
}

export class FakeRunner implements Runner {
  runs: FakeRun[] = [];
  start(): RunHandle {
    const r = new FakeRun();
    this.runs.push(r);
    return r;
  }
  get last(): FakeRun {
    return this.runs[this.runs.length - 1];
  }
}
