import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { invalid } from './errors';
import { servicePaths } from './paths';
import { parseCidr } from './network/ipv4';

/** How a service that exits is restarted, and when it counts as failed. */
export interface RestartPolicy {
  /** `always`: any exit restarts; `on-failure`: exit status 0 stops the service. Default `always`. */
  policy: 'always' | 'on-failure';
  /** Delay before the first restart; doubles for each further consecutive crash. Default 1000 ms. */
  initialDelayMs: number;
  /** Upper bound of the delay. Default 30 000 ms. */
  maxDelayMs: number;
  /** Consecutive crashes tolerated; one more marks the service `failed`. Default 5. */
  maxRetries: number;
  /** A run at least this long resets the consecutive-crash count. Default 10 000 ms. */
  stableAfterMs: number;
}

/**
 * Host settings of the service runtime, read from `R/etc/mos/services.json` (all optional).
 * Every mosctl process and the supervisor read the same file, so they agree.
 */
export interface ServicesSettings {
  /** Bridge of `simple` networks; created (with forwarding on) when absent. Default `lxcbr0` 10.0.3.1/24. */
  bridge: { name: string; address: string };
  /**
   * Run lxc and all networking (bridge, veth, iptables) inside this named network namespace
   * (`ip netns exec`). Tests use it to stay off the machine's network. Default: the host's.
   */
  netns?: string;
  /** `auto` (idmapped rootfs if the kernel and filesystem allow, else shift), `idmap` or `chown`. Default `auto`. */
  uidShift: 'auto' | 'idmap' | 'chown';
  restart: RestartPolicy;
  /** Grace between SIGTERM and SIGKILL when a service is stopped. Default 10 000 ms. */
  stopTimeoutMs: number;
  /** `lxc.log.level` of containers. Default `INFO` (the original's TRACE logs grow fast). */
  lxcLogLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'NOTICE' | 'WARN' | 'ERROR';
  /** Storage labels backed by a partition instead of a file: label → block device. */
  volumeDevices: Record<string, string>;
}

export const DEFAULT_SETTINGS: ServicesSettings = {
  bridge: { name: 'lxcbr0', address: '10.0.3.1/24' },
  uidShift: 'auto',
  restart: { policy: 'always', initialDelayMs: 1000, maxDelayMs: 30_000, maxRetries: 5, stableAfterMs: 10_000 },
  stopTimeoutMs: 10_000,
  lxcLogLevel: 'INFO',
  volumeDevices: {},
};

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The settings of root `R`: `R/etc/mos/services.json` merged over {@link DEFAULT_SETTINGS} and
 * validated (`ERR_SERVICES_INVALID` names the field).
 *
 * @example
 * import { loadSettings } from '@mos/services';
 * loadSettings('/').bridge.name; // 'lxcbr0'
 */
export function loadSettings(root: string): ServicesSettings {
  const file = servicePaths(root).settings;
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw invalid(`${file}: ${(e as Error).message}; fix or remove the file`, { file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${file} must hold a JSON object`, { file });
  return validateSettings(raw, file);
}

/** Validates a settings object (exported for tests and tools). */
export function validateSettings(raw: Record<string, unknown>, where = 'settings'): ServicesSettings {
  const d = DEFAULT_SETTINGS;
  const bad = (field: string, why: string) => invalid(`${where}: ${field} ${why}`, { field });
  const bridge = { ...d.bridge, ...(raw.bridge as object | undefined) };
  if (!IFNAME.test(bridge.name)) throw bad('bridge.name', 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)');
  const net = parseCidr(bridge.address);
  if (!net || net.prefix > 30) throw bad('bridge.address', 'must be an IPv4 address with a prefix of at most /30, e.g. 10.0.3.1/24');
  if (raw.netns !== undefined && (typeof raw.netns !== 'string' || !NETNS.test(raw.netns))) throw bad('netns', 'must be a network namespace name');
  const uidShift = (raw.uidShift ?? d.uidShift) as ServicesSettings['uidShift'];
  if (!['auto', 'idmap', 'chown'].includes(uidShift)) throw bad('uidShift', 'must be auto, idmap or chown');
  const restart = { ...d.restart, ...(raw.restart as object | undefined) } as RestartPolicy;
  if (!['always', 'on-failure'].includes(restart.policy)) throw bad('restart.policy', 'must be always or on-failure');
  for (const k of ['initialDelayMs', 'maxDelayMs', 'maxRetries', 'stableAfterMs'] as const) {
    if (!Number.isInteger(restart[k]) || restart[k] < 0) throw bad(`restart.${k}`, 'must be a non-negative integer');
  }
  const stopTimeoutMs = (raw.stopTimeoutMs ?? d.stopTimeoutMs) as number;
  if (!Number.isInteger(stopTimeoutMs) || stopTimeoutMs < 0) throw bad('stopTimeoutMs', 'must be a non-negative integer');
  const lxcLogLevel = (raw.lxcLogLevel ?? d.lxcLogLevel) as ServicesSettings['lxcLogLevel'];
  if (!['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'ERROR'].includes(lxcLogLevel)) throw bad('lxcLogLevel', 'must be an lxc log level');
  const volumeDevices = pathMap(raw.volumeDevices, 'volumeDevices', bad);
  return { bridge, netns: raw.netns as string | undefined, uidShift, restart, stopTimeoutMs, lxcLogLevel, volumeDevices };
}

function pathMap(v: unknown, field: string, bad: (f: string, why: string) => Error): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'must be an object');
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) throw bad(`${field}.${k}`, 'must be an absolute path');
  }
  return v as Record<string, string>;
}
