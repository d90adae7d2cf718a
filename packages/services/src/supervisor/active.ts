import { closeSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import type { Target } from '@mos/manifest';
import { HealthMonitor } from '../health/health-monitor';
import { lxcAttach } from '../lxc/lxc';
import { stripPrefix } from '../network/ipv4';
import type { AppliedContainer } from '../runtime/container';
import type { RuntimeContext } from '../runtime/context';
import { LxcRunner } from './lxc-runner';
import type { ServiceStatus } from './status';
import { ServiceUnit, type Clock, type Runner } from './unit';

/** A target the supervisor has activated. */
export interface ActiveService {
  name: string;
  type: 'container' | 'fs-only';
  target: Target;
  /** What decides "same version" (a re-activation of the same thing is a no-op). */
  fingerprint: string;
  since: number;
  applied?: AppliedContainer;
  unit?: ServiceUnit;
  health?: HealthMonitor;
}

/** How the supervisor makes units (tests swap the runner and the clock). */
export interface UnitFactory {
  clock: Clock;
  runnerFor?: (ctx: RuntimeContext, name: string) => Runner;
  onChange: () => void;
}

const LOG_ROTATE_BYTES = 1024 * 1024;

/** Starts a new generation of the service log, keeping one old one (`.1`). */
export function rotateLog(file: string): void {
  try {
    if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** The last `n` lines of a file (reads at most its last 64 KiB). */
export function tailLines(file: string, n: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').split('\n').filter(Boolean).slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The unit (and health monitor) of an applied container. */
export function makeUnit(ctx: RuntimeContext, applied: AppliedContainer, f: UnitFactory): { unit: ServiceUnit; health?: HealthMonitor } {
  const { name, health: spec, lease, target } = applied.plan;
  const runner = f.runnerFor ? f.runnerFor(ctx, name) : new LxcRunner(ctx.lxc, name, ctx.paths.serviceLog(name), ctx.paths.lxcLog(name));
  let health: HealthMonitor | undefined;
  const logTail = () => [...tailLines(ctx.paths.serviceLog(name), 20), ...tailLines(ctx.paths.lxcLog(name), 200).filter((l) => / ERROR /.test(l)).slice(-5)];
  const unit = new ServiceUnit(name, runner, ctx.settings.restart, f.clock, {
    onChange: f.onChange,
    onRunning: () => health?.start(),
    onRunEnd: () => health?.stop(),
    logTail,
  });
  if (spec) {
    const timeoutMs = spec.timeout * 1000;
    const host = target.network.type === 'simple' ? stripPrefix(lease?.ipv4 ?? lease?.ipv6 ?? '') : '127.0.0.1';
    const check = spec.command
      ? async () => (await lxcAttach(ctx.lxc, name, spec.command!, timeoutMs)) === 0
      : () => ctx.sys.tcpProbe(host, spec.tcp!, timeoutMs, ctx.settings.netns);
    health = new HealthMonitor(spec, check, f.clock, () => void unit.restartUnhealthy(ctx.settings.stopTimeoutMs), f.onChange);
  }
  return { unit, health };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The status row of an active service. */
export function statusOf(a: ActiveService): ServiceStatus {
  const base = { name: a.name, type: a.type, version: a.target.version, digest: a.target.digest };
  if (a.type === 'fs-only' || !a.unit) {
    return { ...base, state: 'mounted', pid: null, restarts: 0, lastExit: null, since: iso(a.since), address: null, ports: [], health: 'none', failure: null };
  }
  const u = a.unit;
  const lease = a.applied?.plan.lease;
  return {
    ...base,
    state: u.state,
    pid: u.pid,
    restarts: u.restarts,
    lastExit: u.lastExit && { code: u.lastExit.code, signal: u.lastExit.signal, reason: u.lastExit.reason, at: iso(u.lastExit.at) },
    since: iso(u.since),
    address: lease ? { ...(lease.ipv4 ? { ipv4: lease.ipv4 } : {}), ...(lease.ipv6 ? { ipv6: lease.ipv6 } : {}) } : null,
    ports: lease?.ports ?? [],
    health: a.health ? (u.state === 'running' ? a.health.health : 'starting') : 'none',
    uidShift: a.applied?.shift,
    failure: u.failure,
  };
}

/** The status row of a target whose activation itself failed. */
export function failedActivationStatus(target: Target, error: { code?: string; message: string }, at: number): ServiceStatus {
  return {
    name: target.service_name,
    type: target.service_type === 'fs-only' ? 'fs-only' : 'container',
    version: target.version,
    digest: target.digest,
    state: 'failed',
    pid: null,
    restarts: 0,
    lastExit: null,
    since: iso(at),
    address: null,
    ports: [],
    health: 'none',
    failure: { reason: error.message, code: error.code, logTail: [] },
  };
}
