import { isIPv4 } from 'node:net';

/** An IPv4 address with its prefix length. */
export interface Cidr {
  address: string;
  prefix: number;
}

/** `10.0.3.1/24` → `{address, prefix}`; a bare address gets `defaultPrefix`. Null when malformed. */
export function parseCidr(s: string, defaultPrefix?: number): Cidr | null {
  if (typeof s !== 'string') return null;
  const [address, p, ...rest] = s.split('/');
  if (rest.length || !isIPv4(address)) return null;
  if (p === undefined) return defaultPrefix === undefined ? null : { address, prefix: defaultPrefix };
  if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return null;
  return { address, prefix: Number(p) };
}

export const ipToInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The network's host addresses (no network or broadcast address), in order. */
export function hostRange(c: Cidr): { first: number; last: number } {
  const size = 2 ** (32 - c.prefix);
  const base = Math.floor(ipToInt(c.address) / size) * size;
  return { first: base + 1, last: base + size - 2 };
}

/** True when `a` lies in network `c`. */
export function inNetwork(a: string, c: Cidr): boolean {
  const size = 2 ** (32 - c.prefix);
  return Math.floor(ipToInt(a) / size) === Math.floor(ipToInt(c.address) / size);
}

/** The address without its prefix (`10.0.3.5/24` → `10.0.3.5`; IPv6 too). */
export const stripPrefix = (a: string) => a.split('/')[0];
