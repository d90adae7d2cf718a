import { DEFAULT_SETTINGS, forwardRules, loadSettings, validateSettings, type RunOptions, type Sys } from '@mos/services';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Internal helpers with a fake Sys: what they ask the machine to do is the behaviour.
import { removeRulesWhere } from '../../src/network/forwards';
import { ensureBridge } from '../../src/network/bridge';
import { covered, reserveSubids, subidRanges } from '../../src/roots/subids';

/** A Sys that records `run` calls and answers from a table; nothing touches the machine. */
function fakeSys(answers: Record<string, { code?: number; stdout?: string }> = {}) {
  const calls: { tool: string; args: string[]; opts?: RunOptions }[] = [];
  const sys = {
    async run(tool: string, args: string[], opts?: RunOptions) {
      calls.push({ tool, args, opts });
      const a = answers[`${tool} ${args.join(' ')}`] ?? {};
      return { code: a.code ?? 0, stdout: a.stdout ?? '', stderr: '' };
    },
  } as unknown as Sys;
  return { sys, calls };
}

describe('settings', () => {
  test('defaults; a file overrides field by field', () => {
    const root = mkdtempSync(join(tmpdir(), 'mos-svc-set-'));
    try {
      expect(loadSettings(root)).toEqual(DEFAULT_SETTINGS);
      mkdirSync(join(root, 'etc/mos'), { recursive: true });
      writeFileSync(join(root, 'etc/mos/services.json'), JSON.stringify({ netns: 'ns1', restart: { maxRetries: 9 } }));
      const s = loadSettings(root);
      expect(s.netns).toBe('ns1');
      expect(s.restart).toEqual({ ...DEFAULT_SETTINGS.restart, maxRetries: 9 });
      writeFileSync(join(root, 'etc/mos/services.json'), '{oops');
      expect(() => loadSettings(root)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test.each([
    [{ bridge: { name: 'a/b' } }, 'bridge.name'],
    [{ bridge: { address: '10.0.3.1' } }, 'bridge.address'],
    [{ netns: '../x' }, 'netns'],
    [{ uidShift: 'magic' }, 'uidShift'],
    [{ restart: { maxRetries: -1 } }, 'restart.maxRetries'],
    [{ volumeDevices: { data: 'relative' } }, 'volumeDevices.data'],
  ])('refuses %j, naming %s', (raw, field) => {
    expect(() => validateSettings(raw as Record<string, unknown>)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID', details: { field } }));
  });
});

describe('port forwards', () => {
  test('DNAT from the default-route NIC (PREROUTING) and from the host itself (OUTPUT), comment names the service', () => {
    const rules = forwardRules({ comment: 'mos:web@0123abcd', nic: 'eth0', ipv4: '10.0.3.5/24', port: { host: 8080, container: 80 } });
    const tail = ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.3.5:80', '-m', 'comment', '--comment', 'mos:web@0123abcd'];
    expect(rules).toEqual([
      { tool: 'iptables', chain: 'PREROUTING', spec: ['-i', 'eth0', ...tail] },
      { tool: 'iptables', chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '!', '-d', '127.0.0.0/8', ...tail] },
    ]);
    // no default route: any local address; IPv6 only: ip6tables with a bracketed address
    const v6 = forwardRules({ comment: 'c', ipv6: 'fd00::5/64', port: { host: 80, container: 8080 } });
    expect(v6[0]).toEqual({ tool: 'ip6tables', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '[fd00::5]:8080', '-m', 'comment', '--comment', 'c'] });
  });

  test('stale rules are found by their comment and deleted with the exact spec iptables lists', async () => {
    const listing = [
      '-P PREROUTING ACCEPT',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 8080 -m comment --comment "mos:web@abcd1234" -j DNAT --to-destination 10.0.3.5:80',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 9090 -m comment --comment "mos:aweb@abcd1234" -j DNAT --to-destination 10.0.3.6:80',
      '-A OUTPUT -p tcp -m comment --comment other -j ACCEPT',
    ].join('\n');
    const { sys, calls } = fakeSys({ 'iptables -w -t nat -S': { stdout: listing } });
    expect(await removeRulesWhere(sys, 'ns1', (c) => c === 'mos:web@abcd1234')).toBe(1);
    const del = calls.filter((c) => c.args.includes('-D'));
    expect(del).toEqual([
      {
        tool: 'iptables',
        args: ['-w', '-t', 'nat', '-D', 'PREROUTING', '-i', 'eth0', '-p', 'tcp', '-m', 'tcp', '--dport', '8080', '-m', 'comment', '--comment', 'mos:web@abcd1234', '-j', 'DNAT', '--to-destination', '10.0.3.5:80'],
        opts: { netns: 'ns1', allowFail: true },
      },
    ]);
  });

  test('the bridge is created (with forwarding) only when absent', async () => {
    const absent = fakeSys({ 'ip -o link show dev lxcbr0': { code: 1 } });
    expect(await ensureBridge(absent.sys, 'ns1', { name: 'lxcbr0', address: '10.0.3.1/24' })).toBe(true);
    expect(absent.calls.map((c) => `${c.tool} ${c.args.join(' ')}`)).toEqual([
      'ip -o link show dev lxcbr0',
      'ip link add lxcbr0 type bridge',
      'ip addr add 10.0.3.1/24 dev lxcbr0',
      'ip link set lxcbr0 up',
      'sysctl -q -w net.ipv4.ip_forward=1',
    ]);
    expect(absent.calls.every((c) => c.opts?.netns === 'ns1')).toBe(true);
    const present = fakeSys();
    expect(await ensureBridge(present.sys, undefined, { name: 'lxcbr0', address: '10.0.3.1/24' })).toBe(false);
    expect(present.calls).toHaveLength(1);
  });
});

describe('subordinate ids for root', () => {
  test('ranges are read per user; coverage is checked before usermod runs', async () => {
    expect(subidRanges('root:100000:65536\nbob:200000:10\nroot:x:1\n')).toEqual([{ start: 100000, count: 65536 }]);
    expect(covered([{ start: 100000, count: 131072 }], 165536, 65536)).toBe(true);
    expect(covered([{ start: 100000, count: 65536 }], 165536, 65536)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'mos-svc-sub-'));
    try {
      const files = { uid: join(dir, 'subuid'), gid: join(dir, 'subgid') };
      writeFileSync(files.uid, 'root:100000:65536\n');
      writeFileSync(files.gid, '');
      const { sys, calls } = fakeSys();
      expect(await reserveSubids(sys, 100000, 65536, files)).toBe(true);
      expect(calls).toEqual([{ tool: 'usermod', args: ['-w', '100000-165535', 'root'], opts: undefined }]);
      writeFileSync(files.gid, 'root:100000:65536\n');
      expect(await reserveSubids(sys, 100000, 65536, files)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
