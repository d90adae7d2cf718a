import { isIPv4, isIPv6 } from 'node:net';
import type { Port } from '@mos/manifest';
import { invalid, ServicesError } from '../errors';
import { hostRange, intToIp, ipToInt, parseCidr, stripPrefix, type Cidr } from './ipv4';

/** What one service holds on the `simple` network: addresses (as rendered, with prefix) and host ports. */
export interface Lease {
  ipv4?: string;
  ipv6?: string;
  /** True when mos picked the IPv4 address (it is kept for the service across restarts and boots). */
  auto?: boolean;
  ports: Port[];
}

/** The persisted table of leases, by service name (`R/var/lib/mos/network.json`). */
export interface NetworkTable {
  version: 1;
  leases: Record<string, Lease>;
}

export const emptyTable = (): NetworkTable => ({ version: 1, leases: {} });

/** What a target asks for. */
export interface LeaseRequest {
  ipv4: string;
  ipv6: string;
  ports: Port[];
}

// The original's pool: 10.0.3.3 .. 10.0.3.254 on lxcbr0 (.1 is the bridge, .2 lxc-net's dnsmasq).
const FIRST_OFFSET = 2;

/**
 * Plans the lease of service `name` in `table`: the requested addresses, or the address it held
 * before, or the first free one of the bridge network; conflicts are errors that name the holder
 * (`ERR_SERVICES_ADDRESS_IN_USE`, `ERR_SERVICES_PORT_IN_USE`), and the table is not changed.
 * An automatic address never takes one of `reserved` (addresses other targets of the system ask
 * for), so activation order cannot make an explicit request lose. Pure: the caller stores the result.
 *
 * @example
 * import { planLease, emptyTable } from '@mos/services';
 * planLease(emptyTable(), 'web', { ipv4: '', ipv6: '', ports: [] }, { address: '10.0.3.1', prefix: 24 }).ipv4; // '10.0.3.3/24'
 */
export function planLease(table: NetworkTable, name: string, req: LeaseRequest, bridge: Cidr, reserved: string[] = []): Lease {
  const others = Object.entries(table.leases).filter(([n]) => n !== name);
  const holderOf = (addr: string, family: 'ipv4' | 'ipv6') => others.find(([, l]) => l[family] && stripPrefix(l[family]!) === addr)?.[0];
  const lease: Lease = { ports: [] };

  if (req.ipv4) {
    const c = parseCidr(req.ipv4, bridge.prefix);
    if (!c) throw invalid(`service ${name}: ipv4 ${JSON.stringify(req.ipv4)} is not an IPv4 address`, { target: name });
    if (c.address === bridge.address) throw inUse(name, c.address, 'the bridge');
    const holder = holderOf(c.address, 'ipv4');
    if (holder) throw inUse(name, c.address, holder);
    lease.ipv4 = `${c.address}/${c.prefix}`;
  }
  if (req.ipv6) {
    const addr = stripPrefix(req.ipv6);
    if (!isIPv6(addr)) throw invalid(`service ${name}: ipv6 ${JSON.stringify(req.ipv6)} is not an IPv6 address`, { target: name });
    const holder = holderOf(addr, 'ipv6');
    if (holder) throw inUse(name, addr, holder);
    lease.ipv6 = req.ipv6;
  }
  if (!req.ipv4 && !req.ipv6) {
    const mine = table.leases[name];
    const avoid = [...others.map(([, l]) => l.ipv4), ...reserved];
    const keep = mine?.auto && mine.ipv4 && !avoid.some((a) => a && stripPrefix(a) === stripPrefix(mine.ipv4!)) ? mine.ipv4 : undefined;
    lease.ipv4 = keep ?? `${firstFree(avoid, bridge)}/${bridge.prefix}`;
    lease.auto = true;
  }

  const seen = new Set<number>();
  for (const p of req.ports) {
    if (seen.has(p.host)) throw new ServicesError('ERR_SERVICES_PORT_IN_USE', `service ${name} forwards host port ${p.host} twice`, { target: name, port: p.host, holder: name });
    seen.add(p.host);
    const holder = others.find(([, l]) => l.ports.some((q) => q.host === p.host))?.[0];
    if (holder) {
      throw new ServicesError('ERR_SERVICES_PORT_IN_USE', `service ${name}: host port ${p.host} is already forwarded to service ${holder}; pick another host port or deactivate ${holder}`, { target: name, port: p.host, holder });
    }
    lease.ports.push({ host: p.host, container: p.container });
  }
  return lease;
}

function inUse(name: string, address: string, holder: string): ServicesError {
  return new ServicesError('ERR_SERVICES_ADDRESS_IN_USE', `service ${name}: address ${address} is in use by ${holder}; pick another address or deactivate ${holder}`, { target: name, address, holder });
}

function firstFree(held: (string | undefined)[], bridge: Cidr): string {
  const taken = new Set(held.filter((a): a is string => !!a && isIPv4(stripPrefix(a))).map((a) => ipToInt(stripPrefix(a))));
  taken.add(ipToInt(bridge.address));
  const { first, last } = hostRange(bridge);
  for (let n = first + FIRST_OFFSET; n <= last; n++) if (!taken.has(n)) return intToIp(n);
  throw new ServicesError('ERR_SERVICES_NO_ADDRESSES', `no free address is left in ${bridge.address}/${bridge.prefix}; give services explicit addresses or widen the bridge network`, { bridge: `${bridge.address}/${bridge.prefix}` });
}
