import type { Issue } from '../errors';
import {
  NETWORK_TYPES,
  RESERVED_STORAGE_LABELS,
  SERVICE_TYPES,
  type Network,
  type NetworkType,
  type ServiceType,
  type StorageItem,
  type Target,
  type TargetStorage,
} from '../types';
import type { Fields } from './fields';
import { hasControlChars, isIPv4Cidr, isIPv6Cidr, isNoNsgroup, isSafeDest, isSafeName } from './rules';

/** What a validator returns: the normalised value plus every error and warning found. */
export interface Validated<T> {
  value: T;
  errors: Issue[];
  warnings: Issue[];
}

const MAX_PORT = 65535;

export function readName(f: Fields, key: string, what: string): string {
  const v = f.string(key);
  if (v === '') f.issue(key, 'required', `${what} cannot be empty`);
  else if (!isSafeName(v)) f.issue(key, 'safe-name', `${what} ${JSON.stringify(v)} is not a safe name: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`);
  return v;
}

export function readText(f: Fields, key: string, what: string, max: number): string {
  const v = f.string(key);
  if (v === '') f.issue(key, 'required', `${what} cannot be empty`);
  else if (hasControlChars(v) || v.length > max) f.issue(key, 'text', `${what} must be printable and at most ${max} characters`);
  return v;
}

export function readNsgroup(f: Fields, key = 'nsgroup'): string {
  const v = f.string(key);
  if (!isNoNsgroup(v) && !isSafeName(v)) f.issue(key, 'safe-name', `nsgroup ${JSON.stringify(v)} is not a safe name ("" or "none" mean no user namespace)`);
  return v;
}

export function readNetwork(f: Fields): Network {
  const type = f.string('type');
  if (!(NETWORK_TYPES as readonly string[]).includes(type)) {
    f.issue('type', 'network-type', `network type ${JSON.stringify(type)} must be one of ${NETWORK_TYPES.join(', ')}`);
  }
  const ipv4 = f.string('ipv4');
  const ipv6 = f.string('ipv6');
  if (ipv4 && !isIPv4Cidr(ipv4)) f.issue('ipv4', 'address', `${JSON.stringify(ipv4)} is not an IPv4 address (a.b.c.d or a.b.c.d/len)`);
  if (ipv6 && !isIPv6Cidr(ipv6)) f.issue('ipv6', 'address', `${JSON.stringify(ipv6)} is not an IPv6 address`);
  if ((ipv4 || ipv6) && type !== 'simple') f.issue('type', 'address', `addresses are only used with network type "simple"`);
  const ports = f.list('ports').map((p) => {
    const port = { host: p.int('host'), container: p.int('container') };
    for (const k of ['host', 'container'] as const) {
      if (port[k] < 1 || port[k] > MAX_PORT) p.issue(k, 'port', `port ${port[k]} is out of range 1-${MAX_PORT}`);
    }
    return port;
  });
  if (ports.length && type !== 'simple') f.issue('ports', 'ports', 'port forwards need network type "simple"');
  return { type: type as NetworkType, ipv4, ipv6, ports };
}

export function readStorageItems(f: Fields): StorageItem[] {
  const seen = new Set<string>();
  return f.list('storage').map((s) => {
    const label = readName(s, 'label', 'storage label');
    if ((RESERVED_STORAGE_LABELS as readonly string[]).includes(label)) {
      s.issue('label', 'reserved-label', `storage label "${label}" is reserved for mos's own partitions`);
    }
    if (seen.has(label)) s.issue('label', 'duplicate', `storage label "${label}" is declared twice`);
    seen.add(label);
    const size = s.int('size');
    if (size < 1) s.issue('size', 'size', 'storage size must be a positive number of MiB (e.g. 1024, not "1G")');
    return { label, persistent: s.bool('persistent'), nsgroup: readNsgroup(s), size };
  });
}

function readTargetStorage(f: Fields): TargetStorage[] {
  return f.list('storage').map((s) => {
    const dest = s.string('dest');
    if (!isSafeDest(dest)) s.issue('dest', 'dest', `mount destination ${JSON.stringify(dest)} must be an absolute path without '.' or '..' segments`);
    return { dest, label: readName(s, 'label', 'storage label') };
  });
}

/** The fields import and install targets share. */
export function readTargetCommon(f: Fields): Omit<Target, 'digest' | 'size'> {
  const service_type = f.string('service_type');
  if (!(SERVICE_TYPES as readonly string[]).includes(service_type)) {
    f.issue('service_type', 'service-type', `service type ${JSON.stringify(service_type)} must be one of ${SERVICE_TYPES.join(', ')}`);
  }
  return {
    service_name: readName(f, 'service_name', 'target name'),
    version: readText(f, 'version', 'target version', 128),
    service_type: service_type as ServiceType,
    network: readNetwork(f.object('network')),
    nsgroup: readNsgroup(f),
    storage: readTargetStorage(f),
  };
}

/** Rules across targets: unique names, one hostfs, no host port twice, storage labels declared. */
export function checkTargets(
  targets: { service_name: string; service_type: string; network: Network; storage: TargetStorage[] }[],
  storage: StorageItem[],
  path: string,
  errors: Issue[],
  warnings: Issue[],
): void {
  const names = new Set<string>();
  const ports = new Map<number, string>();
  const labels = new Set(storage.map((s) => s.label));
  let hostfs = 0;
  targets.forEach((t, i) => {
    const at = `${path}[${i}]`;
    if (t.service_name && names.has(t.service_name)) errors.push({ path: `${at}.service_name`, rule: 'duplicate', message: `target "${t.service_name}" is listed twice` });
    names.add(t.service_name);
    if (t.service_type === 'hostfs' && ++hostfs === 2) errors.push({ path: `${at}.service_type`, rule: 'one-hostfs', message: 'only one target may be the hostfs' });
    t.network.ports.forEach((p, k) => {
      const other = ports.get(p.host);
      if (other !== undefined) errors.push({ path: `${at}.network.ports[${k}].host`, rule: 'duplicate-port', message: `host port ${p.host} is forwarded by "${other}" already` });
      ports.set(p.host, t.service_name);
    });
    t.storage.forEach((s, k) => {
      if (!labels.has(s.label)) warnings.push({ path: `${at}.storage[${k}].label`, rule: 'undeclared-label', message: `storage "${s.label}" is not declared in this manifest (it must exist in the installed system)` });
    });
  });
}
