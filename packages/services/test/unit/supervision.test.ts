import { decideAfterExit, DEFAULT_SETTINGS, type RestartPolicy } from '@mos/services';
// Internal: the per-service state machine is not public API; tested here with fakes.
import { ServiceUnit } from '../../src/supervisor/unit';
import { FakeClock, FakeRunner, flush } from './fakes';

const policy: RestartPolicy = { policy: 'always', initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 3, stableAfterMs: 5000 };

describe('decideAfterExit', () => {
  test.each([
    // consecutive before, ran ms, code → decision
    [0, 50, 1, { action: 'restart', delayMs: 100, consecutive: 1 }],
    [1, 50, 1, { action: 'restart', delayMs: 200, consecutive: 2 }],
    [2, 50, 1, { action: 'restart', delayMs: 400, consecutive: 3 }],
    [3, 50, 1, { action: 'fail', consecutive: 4 }],
    [3, 5000, 1, { action: 'restart', delayMs: 100, consecutive: 1 }], // a stable run resets the count
    [0, 50, 0, { action: 'restart', delayMs: 100, consecutive: 1 }], // policy always: a clean exit restarts too
  ])('after %i crashes, a run of %i ms ending with %i', (consecutive, ranMs, code, decision) => {
    expect(decideAfterExit({ consecutive, ranMs, code, reason: 'exit' }, policy)).toEqual(decision);
  });

  test('the delay is capped; on-failure stops on status 0 but restarts an unhealthy run', () => {
    const long = { ...policy, maxRetries: 10 };
    expect(decideAfterExit({ consecutive: 8, ranMs: 1, code: 1, reason: 'exit' }, long)).toEqual({ action: 'restart', delayMs: 1000, consecutive: 9 });
    const onFailure = { ...policy, policy: 'on-failure' as const };
    expect(decideAfterExit({ consecutive: 0, ranMs: 1, code: 0, reason: 'exit' }, onFailure).action).toBe('stop');
    expect(decideAfterExit({ consecutive: 0, ranMs: 1, code: 0, reason: 'unhealthy' }, onFailure).action).toBe('restart');
    expect(decideAfterExit({ consecutive: 0, ranMs: 1, code: 1, reason: 'exit' }, DEFAULT_SETTINGS.restart)).toEqual({ action: 'restart', delayMs: 1000, consecutive: 1 });
  });
});

describe('ServiceUnit (fake clock and runner)', () => {
  const make = () => {
    const clock = new FakeClock();
    const runner = new FakeRunner();
    const changes: string[] = [];
    const unit = new ServiceUnit('svc', runner, policy, clock, { onChange: () => changes.push(unit.state), logTail: () => ['last line'] });
    return { clock, runner, unit, changes };
  };

  test('starting → running with the pid; settled resolves once up', async () => {
    const { runner, unit } = make();
    unit.start();
    expect(unit.state).toBe('starting');
    const settled = unit.settled();
    runner.last.up(4242);
    await settled;
    expect(unit.state).toBe('running');
    expect(unit.pid).toBe(4242);
  });

  test('a crash restarts after exponential backoff; the exit is recorded', async () => {
    const { clock, runner, unit, changes } = make();
    unit.start();
    runner.last.up(1);
    await flush();
    clock.t = 10;
    runner.last.exit(3);
    await flush();
    expect(unit.state).toBe('backoff');
    expect(unit.lastExit).toEqual({ code: 3, signal: null, reason: 'exit', at: 10 });
    expect(clock.pending()).toEqual([100]);
    await clock.advance(99);
    expect(runner.runs).toHaveLength(1);
    await clock.advance(1);
    expect(runner.runs).toHaveLength(2);
    expect(unit.restarts).toBe(1);
    runner.last.exit(3);
    await flush();
    expect(clock.pending()).toEqual([200]);
    expect(changes).toEqual(['starting', 'running', 'backoff', 'starting', 'backoff']);
  });

  test('a crash loop ends as failed, with the last exit and the log tail', async () => {
    const { clock, runner, unit } = make();
    unit.start();
    for (let i = 0; i < 4; i++) {
      runner.last.exit(7);
      await flush();
      await clock.advance(1000); // past the delay, well within stableAfterMs
    }
    expect(unit.state).toBe('failed');
    expect(runner.runs).toHaveLength(4); // first run + maxRetries restarts
    expect(unit.restarts).toBe(3);
    expect(unit.lastExit?.code).toBe(7);
    expect(unit.failure).toEqual({ reason: 'exited (status 7) 4 times in a row; gave up', logTail: ['last line'] });
    expect(clock.pending()).toEqual([]);
  });

  test('boot waits for the first run only: settled resolves when the first run ends early', async () => {
    const { runner, unit } = make();
    unit.start();
    const settled = unit.settled();
    runner.last.exit(1);
    await settled;
    expect(unit.state).toBe('backoff');
  });

  test('a stable run resets the crash count', async () => {
    const { clock, runner, unit } = make();
    unit.start();
    for (let i = 0; i < 3; i++) {
      runner.last.exit(1);
      await flush();
      await clock.advance(1000); // past the delay, well within stableAfterMs
    }
    runner.last.up(9);
    await flush();
    await clock.advance(6000);
    runner.last.exit(1);
    await flush();
    expect(unit.state).toBe('backoff');
    expect(clock.pending()).toEqual([100]);
  });

  test('stop: a running service gets the grace and ends stopped; a pending restart is cancelled', async () => {
    const { clock, runner, unit } = make();
    unit.start();
    runner.last.up(5);
    await flush();
    await unit.stop(2500);
    expect(runner.last.stopCalls).toEqual([2500]);
    expect(unit.state).toBe('stopped');
    expect(unit.lastExit).toBeNull(); // a requested stop is not a crash
    unit.start();
    runner.last.exit(1);
    await flush();
    expect(clock.pending()).toEqual([100]);
    await unit.stop(1);
    expect(clock.pending()).toEqual([]);
    expect(unit.state).toBe('stopped');
    await clock.advance(1000);
    expect(runner.runs).toHaveLength(2);
  });

  test('an unhealthy run is ended and restarted like a crash', async () => {
    const { clock, runner, unit } = make();
    unit.start();
    runner.last.up(5);
    await flush();
    await unit.restartUnhealthy(100);
    await flush();
    expect(unit.state).toBe('backoff');
    expect(unit.lastExit).toMatchObject({ reason: 'unhealthy', signal: 'SIGTERM' });
    await clock.advance(100);
    expect(runner.runs).toHaveLength(2);
  });
});
