import { judgeTrial, parseDuration, trialStart, type TrialView } from '@mos/mosctl';
import type { ServiceStatus } from '@mos/services';

const C = (n: number) => String(n).repeat(40);
const T0 = Date.parse('2026-12-05T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const WEB = 'sha256:' + 'a'.repeat(64);

const svc = (over: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name: 'web',
  type: 'container',
  version: '1',
  digest: WEB,
  state: 'running',
  pid: 100,
  restarts: 0,
  lastExit: null,
  since: at(0).toISOString(),
  address: null,
  ports: [],
  health: 'none',
  failure: null,
  ...over,
});

const view = (over: Partial<TrialView> = {}, pendingOver: Partial<TrialView['pending']> = {}): TrialView => ({
  pending: { commit: C(2), previous: C(1), kind: 'update', since: at(0).toISOString(), timeoutSeconds: 60, settleSeconds: 10, autoRollback: true, watch: true, nextBoot: [], ...pendingOver },
  containers: [{ name: 'web', digest: WEB }],
  supervisor: { running: true, pid: 1, since: at(-100).toISOString(), booted: true },
  services: [svc()],
  now: at(1),
  ...over,
});

describe('judgeTrial', () => {
  test('healthy services settle, then the state is confirmed', () => {
    const first = judgeTrial(view());
    expect(first).toEqual({ action: 'wait', why: expect.stringMatching(/settling/), deadline: at(60), provingSince: at(1).getTime() });
    expect(judgeTrial(view({ now: at(10), provingSince: at(1).getTime() }))).toMatchObject({ action: 'wait' });
    expect(judgeTrial(view({ now: at(11), provingSince: at(1).getTime() }))).toEqual({ action: 'confirm' });
  });

  test('a failed service past the deadline rolls back, naming it, its last exit and log tail', () => {
    const failed = svc({ state: 'failed', pid: null, lastExit: { code: 3, signal: null, reason: 'exited', at: at(5).toISOString() }, failure: { reason: 'gave up after 5 restarts', logTail: ['boom'] } });
    expect(judgeTrial(view({ services: [failed], now: at(59) }))).toMatchObject({ action: 'wait', why: expect.stringMatching(/web \(failed: gave up/) });
    expect(judgeTrial(view({ services: [failed], now: at(60) }))).toEqual({
      action: 'rollback',
      reason: 'not confirmed within 60s: web failed: gave up after 5 restarts, last exit code 3 (exited)',
      culprits: [{ name: 'web', problem: 'failed: gave up after 5 restarts', lastExit: failed.lastExit, logTail: ['boom'] }],
    });
    // Without auto-rollback it stays pending and says so.
    expect(judgeTrial(view({ services: [failed], now: at(61) }, { autoRollback: false }))).toMatchObject({ action: 'overdue', deadline: at(60) });
  });

  test('unhealthy, still-starting health, another image and a missing service all keep it from confirming', () => {
    const cases: [Partial<ServiceStatus> | null, RegExp][] = [
      [{ health: 'unhealthy' }, /unhealthy/],
      [{ health: 'starting' }, /health check not passed/],
      [{ digest: 'sha256:' + 'b'.repeat(64) }, /runs another image/],
      [{ state: 'backoff' }, /not running \(backoff\)/],
      [null, /not active/],
    ];
    for (const [over, why] of cases) {
      const services = over ? [svc(over)] : [];
      expect(judgeTrial(view({ services, now: at(30), provingSince: at(0).getTime() }))).toMatchObject({ action: 'wait', why });
      expect(judgeTrial(view({ services, now: at(61) }))).toMatchObject({ action: 'rollback', reason: expect.stringMatching(why) });
    }
  });

  test('a healthy state at the deadline still gets its settle time', () => {
    expect(judgeTrial(view({ now: at(65), provingSince: at(58).getTime() }))).toMatchObject({ action: 'wait', why: expect.stringMatching(/settling/) });
  });

  test('the trial waits for booted services, for the boot a hostfs change needs, and not at all without a watch', () => {
    expect(judgeTrial(view({ supervisor: { running: true, pid: 1, since: at(0).toISOString(), booted: false }, now: at(1000) }))).toMatchObject({ action: 'wait', why: expect.stringMatching(/mosctl boot/) });
    expect(judgeTrial(view({ supervisor: { running: false, pid: null, since: null, booted: false }, now: at(1000) }))).toMatchObject({ action: 'wait' });
    expect(judgeTrial(view({ now: at(1000) }, { nextBoot: ['hostfs'] }))).toMatchObject({ action: 'wait', why: expect.stringMatching(/next boot \(hostfs/) });
    expect(judgeTrial(view({ now: at(1000), bootedCommit: C(2), services: [] }, { nextBoot: ['hostfs'] }))).toMatchObject({ action: 'rollback' });
    expect(judgeTrial(view({ now: at(1000), services: [] }, { watch: false }))).toMatchObject({ action: 'wait', why: expect.stringMatching(/not watched/) });
  });

  test('the clock starts when services start after the commit (a reboot, a later mosctl boot)', () => {
    const later = { running: true, pid: 1, since: at(500).toISOString(), booted: true };
    expect(trialStart(view({ supervisor: later }))).toEqual(at(500));
    expect(judgeTrial(view({ supervisor: later, services: [], now: at(559) }))).toMatchObject({ action: 'wait', deadline: at(560) });
    expect(judgeTrial(view({ supervisor: later, services: [], now: at(560) }))).toMatchObject({ action: 'rollback' });
  });

  test('a state with no container service confirms after the settle time', () => {
    expect(judgeTrial(view({ containers: [], services: [], now: at(20), provingSince: at(5).getTime() }))).toEqual({ action: 'confirm' });
  });
});

describe('parseDuration', () => {
  test.each([
    ['90', 90],
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['1m30s', 90],
    ['0.5', 0.5],
  ])('%s is %d s', (text, s) => expect(parseDuration('--settle', text)).toBe(s));
  test.each(['', 'm', '5 min', '-3', '1d', 'abc'])('%j is a usage error naming the flag', (text) => {
    expect(() => parseDuration('--settle', text)).toThrow(expect.objectContaining({ code: 'ERR_MOSCTL_BAD_OPTION', message: expect.stringContaining('--settle') }));
  });
});
