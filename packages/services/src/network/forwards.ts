import { createHash } from 'node:crypto';
import type { Port } from '@mos/manifest';
import type { Sys } from '../sys';
import { stripPrefix } from './ipv4';

/**
 * The comment that marks a service's iptables rules: the service name plus a tag of the root,
 * so stale rules of one root can be found and removed without touching another root's.
 */
export function ruleComment(root: string, name: string): string {
  return `mos:${name}@${rootTag(root)}`;
}

/** The tag of a root in rule comments (`@` + 8 hex of its path's sha256). */
export const rootTag = (root: string) => createHash('sha256').update(root).digest('hex').slice(0, 8);

/** One iptables invocation (the tool and its arguments after `-A`/`-D CHAIN`). */
export interface NatRule {
  tool: 'iptables' | 'ip6tables';
  chain: 'PREROUTING' | 'OUTPUT';
  spec: string[];
}

/**
 * The DNAT rules of one port forward. PREROUTING takes traffic that arrives from outside --
 * on the default-route interface as in the original, or for any local address when the host has
 * no default route; OUTPUT takes connections the host itself makes to one of its own addresses
 * (127/8 excluded: the kernel drops loopback-sourced traffic DNATed off the host). The destination is the IPv4
 * address, else the IPv6 one in brackets (the original broke IPv6 here -- its BUG 12). Pure.
 */
export function forwardRules(o: { comment: string; nic?: string; ipv4?: string; ipv6?: string; port: Port }): NatRule[] {
  const v4 = o.ipv4 ? stripPrefix(o.ipv4) : undefined;
  const tool = v4 ? 'iptables' : 'ip6tables';
  const dest = v4 ? `${v4}:${o.port.container}` : `[${stripPrefix(o.ipv6 ?? '')}]:${o.port.container}`;
  const tail = ['-p', 'tcp', '--dport', String(o.port.host), '-j', 'DNAT', '--to-destination', dest, '-m', 'comment', '--comment', o.comment];
  const external = o.nic ? ['-i', o.nic] : ['-m', 'addrtype', '--dst-type', 'LOCAL'];
  return [
    { tool, chain: 'PREROUTING', spec: [...external, ...tail] },
    { tool, chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...(v4 ? ['!', '-d', '127.0.0.0/8'] : ['!', '-d', '::1/128']), ...tail] },
  ];
}

/** Adds the rules (all or none: a failure removes what was added). */
export async function addRules(sys: Sys, netns: string | undefined, rules: NatRule[]): Promise<void> {
  const added: NatRule[] = [];
  try {
    for (const r of rules) {
      await sys.run(r.tool, ['-w', '-t', 'nat', '-A', r.chain, ...r.spec], { netns });
      added.push(r);
    }
  } catch (e) {
    await removeRules(sys, netns, added);
    throw e;
  }
}

/** Removes the rules; a rule that is not there is fine (removal is idempotent). */
export async function removeRules(sys: Sys, netns: string | undefined, rules: NatRule[]): Promise<void> {
  for (const r of rules) await sys.run(r.tool, ['-w', '-t', 'nat', '-D', r.chain, ...r.spec], { netns, allowFail: true });
}

/** Removes every nat rule whose comment satisfies `match` (stale rules after a crash, or one service's). */
export async function removeRulesWhere(sys: Sys, netns: string | undefined, match: (comment: string) => boolean): Promise<number> {
  let removed = 0;
  for (const tool of ['iptables', 'ip6tables'] as const) {
    const r = await sys.run(tool, ['-w', '-t', 'nat', '-S'], { netns, allowFail: true });
    if (r.code !== 0) continue;
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('-A ')) continue;
      const words = splitRuleLine(line.slice(3));
      const i = words.indexOf('--comment');
      if (i < 0 || !match(words[i + 1] ?? '')) continue;
      await sys.run(tool, ['-w', '-t', 'nat', '-D', ...words], { netns, allowFail: true });
      removed++;
    }
  }
  return removed;
}

// `iptables -S` quotes words with spaces in double quotes; our comments have none, but be exact.
function splitRuleLine(s: string): string[] {
  return (s.match(/"[^"]*"|\S+/g) ?? []).map((w) => (w.startsWith('"') ? w.slice(1, -1) : w));
}

/** The interface of the default route (`ip route show default`), if there is one. */
export async function defaultNic(sys: Sys, netns: string | undefined): Promise<string | undefined> {
  const r = await sys.run('ip', ['route', 'show', 'default'], { netns, allowFail: true });
  const m = /^default via \S+ dev (\S+)/m.exec(r.stdout) ?? /^default dev (\S+)/m.exec(r.stdout);
  return m?.[1];
}
