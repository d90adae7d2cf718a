import { healthSpecOf } from '@mos/services';
// Internal: the monitor's timing is tested with the fake clock.
import { HealthMonitor } from '../../src/health/health-monitor';
import { FakeClock, flush } from './fakes';

const manifest = (health: unknown) => JSON.stringify({ targets: [{ service_name: 'web', health }, { service_name: 'db' }] });

describe('healthSpecOf (extension field of an install-manifest target)', () => {
  test('command or tcp, with defaults; absent → undefined', () => {
    expect(healthSpecOf(manifest({ command: ['/bin/check'] }), 'web')).toEqual({ command: ['/bin/check'], tcp: undefined, interval: 10, timeout: 5, retries: 3, startPeriod: 0 });
    expect(healthSpecOf(manifest({ tcp: 80, interval: 0.5, timeout: 1, retries: 2, start_period: 3 }), 'web')).toEqual({ command: undefined, tcp: 80, interval: 0.5, timeout: 1, retries: 2, startPeriod: 3 });
    expect(healthSpecOf(manifest({ tcp: 80 }), 'db')).toBeUndefined();
  });

  test.each([
    [{}],
    [{ command: ['/x'], tcp: 80 }],
    [{ command: [] }],
    [{ command: 'check' }],
    [{ tcp: 70000 }],
    [{ tcp: 80, interval: -1 }],
    ['often'],
  ])('refuses %j', (h) => {
    expect(() => healthSpecOf(manifest(h), 'web')).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
  });
});

describe('HealthMonitor', () => {
  const spec = { command: ['/x'], interval: 1, timeout: 1, retries: 2, startPeriod: 0 };

  test('healthy on success; `retries` failures in a row → unhealthy, reported once, checks stop', async () => {
    const clock = new FakeClock();
    const results = [true, false, true, false, false, false];
    let checks = 0;
    const unhealthy = jest.fn();
    const m = new HealthMonitor(spec, async () => results[checks++] ?? false, clock, unhealthy);
    m.start();
    expect(m.health).toBe('starting');
    await clock.advance(1000);
    expect(m.health).toBe('healthy');
    await clock.advance(2000); // false, true: one failure is not enough
    expect(m.health).toBe('healthy');
    await clock.advance(2000); // false, false
    expect(m.health).toBe('unhealthy');
    expect(unhealthy).toHaveBeenCalledTimes(1);
    await clock.advance(5000);
    expect(checks).toBe(5);
  });

  test('failures inside the start period do not count; stop() ends the checks', async () => {
    const clock = new FakeClock();
    const unhealthy = jest.fn();
    let checks = 0;
    const m = new HealthMonitor({ ...spec, startPeriod: 3 }, async () => (checks++, false), clock, unhealthy);
    m.start();
    await clock.advance(3000);
    expect(unhealthy).not.toHaveBeenCalled();
    await clock.advance(1000);
    await clock.advance(1000);
    expect(unhealthy).toHaveBeenCalledTimes(1);
    m.start();
    m.stop();
    const before = checks;
    await clock.advance(10_000);
    await flush();
    expect(checks).toBe(before);
  });
});
