import { invalid } from '../errors';
import { lxcCommandLine } from './command-line';

/** The network part of a container config. */
export type LxcNetwork =
  | { type: 'host' }
  | { type: 'none' }
  | { type: 'simple'; bridge: string; ipv4?: string; ipv6?: string; gateway?: string };

/** A bind mount of a storage volume into the container. */
export interface LxcMount {
  source: string;
  /** Absolute path inside the container. */
  dest: string;
  /** `dir` when the source is a directory, else `file` (lxc creates the mount point). */
  kind: 'dir' | 'file';
}

/** Everything a container config is rendered from (all paths absolute). */
export interface LxcConfigInput {
  name: string;
  rootfs: string;
  /** The nsgroup's range; absent for nsgroup `""`/`none` (no user namespace). */
  idmap?: { hostid: number; size: number };
  /** Ask lxc for an idmapped rootfs mount instead of a shifted tree. */
  idmappedRootfs?: boolean;
  network: LxcNetwork;
  /** Image Entrypoint followed by Cmd. */
  command: string[];
  workingDir?: string;
  /** Image `Env` entries (`KEY=VALUE`). */
  env: string[];
  logFile: string;
  logLevel: string;
  mounts: LxcMount[];
}

// A value that would end the line (or the string) early would let image data inject config lines.
function assertValue(v: string, what: string): string {
  if (/[\n\r\0]/.test(v)) throw invalid(`${what} ${JSON.stringify(v)} contains a line break or NUL, which an lxc config cannot hold`);
  return v;
}

// fstab fields (lxc.mount.entry) separate at whitespace; escape it octal like fstab does.
const fstabField = (s: string) => s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011');

/**
 * The MAC of a container on the bridge: lxc's prefix 00:16:3e, then the last three bytes of its
 * IPv4 address (as Docker does), so an address that passes from one service to another keeps
 * its MAC and neighbours' ARP caches stay right. Without IPv4, lxc picks random bytes.
 */
export function hwaddrFor(ipv4?: string): string {
  if (!ipv4) return '00:16:3e:xx:xx:xx';
  const o = ipv4.split('/')[0].split('.').map((x) => Number(x).toString(16).padStart(2, '0'));
  return `00:16:3e:${o[1]}:${o[2]}:${o[3]}`;
}

function networkLines(n: LxcNetwork): string[] {
  if (n.type === 'host') return ['lxc.net.0.type = none'];
  if (n.type === 'none') return ['lxc.net.0.type = empty'];
  const lines = ['lxc.net.0.type = veth', `lxc.net.0.link = ${n.bridge}`, 'lxc.net.0.flags = up', `lxc.net.0.hwaddr = ${hwaddrFor(n.ipv4)}`];
  if (n.ipv4) {
    lines.push(`lxc.net.0.ipv4.address = ${n.ipv4}`);
    // Not in the original: without a default route the container cannot answer forwarded traffic.
    if (n.gateway) lines.push(`lxc.net.0.ipv4.gateway = ${n.gateway}`);
    lines.push(`lxc.environment = IPV4=${n.ipv4}`);
  }
  if (n.ipv6) lines.push(`lxc.net.0.ipv6.address = ${n.ipv6}`, `lxc.environment = IPV6=${n.ipv6}`);
  return lines;
}

/**
 * Renders `R/var/lib/lxc/<name>/config` in the original's line order (mos-original.md §4.9.1),
 * plus what the issue asks for: `lxc.console.path = none`, a root-relative rootfs, the bridge
 * gateway, and (when chosen) `lxc.rootfs.options = idmap=container`. Pure: a table test pins it.
 *
 * @example
 * import { renderLxcConfig } from '@mos/services';
 * renderLxcConfig({ name: 'web', rootfs: '/r/scratch-writes/roots/web', network: { type: 'host' }, command: ['/bin/httpd', '-f'],
 *   env: [], logFile: '/r/var/log/lxc/web.log', logLevel: 'INFO', mounts: [] });
 */
export function renderLxcConfig(c: LxcConfigInput): string {
  const lines: string[] = [];
  if (c.idmap) lines.push(`lxc.idmap = u 0 ${c.idmap.hostid} ${c.idmap.size}`, `lxc.idmap = g 0 ${c.idmap.hostid} ${c.idmap.size}`);
  lines.push(`lxc.rootfs.path = dir:${assertValue(c.rootfs, 'rootfs path')}`);
  if (c.idmappedRootfs && c.idmap) lines.push('lxc.rootfs.options = idmap=container');
  lines.push(...networkLines(c.network));
  lines.push(`lxc.uts.name = ${c.name}`, `lxc.execute.cmd = ${lxcCommandLine(c.command)}`);
  if (c.workingDir) lines.push(`lxc.init.cwd = ${assertValue(c.workingDir, 'image WorkingDir')}`);
  lines.push(
    'lxc.mount.auto = proc:mixed',
    `lxc.log.level = ${c.logLevel}`,
    'lxc.apparmor.profile = unchanged',
    `lxc.log.file = ${assertValue(c.logFile, 'log file')}`,
    'lxc.console.path = none',
    'lxc.environment = HOME=/root',
  );
  for (const e of c.env) {
    if (!/^[^=\s]+=/.test(e)) throw invalid(`image environment entry ${JSON.stringify(e)} is not KEY=VALUE`);
    lines.push(`lxc.environment = ${assertValue(e, 'image environment entry')}`);
  }
  for (const m of c.mounts) {
    const dest = fstabField(assertValue(m.dest.replace(/^\/+/, ''), 'storage destination'));
    lines.push(`lxc.mount.entry = ${fstabField(assertValue(m.source, 'storage source'))} ${dest} none bind,create=${m.kind} 0 0`);
  }
  return lines.join('\n') + '\n';
}
