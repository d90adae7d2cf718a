// `simple` networking for real, inside network namespaces this test creates (never the
// machine's own network): mos's bridge, veth pairs, addresses and DNAT port forwards live in
// namespace NS; a second namespace CL, wired to NS by a veth pair, plays an outside client.
import { activate, boot, deactivate, stopServices } from '@mos/services';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteNetns, destroyRoot, inNetns, leftovers, makeNetns } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, update, writeSettings, type TestKeys } from './helpers/system';
import { svc, waitFor, waitService } from './helpers/wait';

const HTTPD = '#!/bin/sh\necho "IPV4=$IPV4"\nexec httpd -f -p 80 -h /www\n';
const simple = (over: Record<string, unknown> = {}) => ({ network: { type: 'simple', ipv4: '', ipv6: '', ports: null, ...over } });
// An HTTP GET from inside a namespace, by node itself (no curl/wget needed on the machine).
const GET = `require('http').get(process.argv[1], { timeout: 3000 }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => { process.stdout.write(b); process.exit(r.statusCode === 200 ? 0 : 1); }); }).on('error', () => process.exit(1)).on('timeout', () => process.exit(1));`;
const wget = (ns: string, url: string) => spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', GET, url], { encoding: 'utf8' });
const natRules = (ns: string) => inNetns(ns, 'iptables', ['-t', 'nat', '-S']).split('\n').filter((l) => l.includes('mos:'));

describe('simple networking (in a test network namespace)', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;
  let ns: string;
  let cl: string;
  let img: { digest: string; size: number };

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs({ 'httpd.sh': HTTPD });
    img = await addImage(root, rootfs, { entrypoint: ['/httpd.sh'] });
    ns = makeNetns();
    cl = makeNetns();
    // NS <-> CL: 192.168.77.1 (NS, default route via CL) and 192.168.77.2 (CL)
    const vh = `vh${process.pid % 100000}`;
    execFileSync('ip', ['link', 'add', vh, 'netns', ns, 'type', 'veth', 'peer', 'name', 'vc0', 'netns', cl]);
    inNetns(ns, 'ip', ['addr', 'add', '192.168.77.1/24', 'dev', vh]);
    inNetns(ns, 'ip', ['link', 'set', vh, 'up']);
    inNetns(ns, 'ip', ['route', 'add', 'default', 'via', '192.168.77.2']);
    inNetns(cl, 'ip', ['addr', 'add', '192.168.77.2/24', 'dev', 'vc0']);
    inNetns(cl, 'ip', ['link', 'set', 'vc0', 'up']);
    await install(root, keys, [
      target('web1', img, { nsgroup: 'web', ...simple({ ports: [{ host: 8080, container: 80 }] }) }),
      { ...target('web2', img, { nsgroup: 'web', ...simple({ ipv4: '10.0.3.50/24' }) }), health: { tcp: 80, interval: 0.2, timeout: 2 } },
      target('dupaddr', img, simple({ ipv4: '10.0.3.50/24' })),
    ]);
    writeSettings(root, { netns: ns });
  });

  afterAll(async () => {
    await destroyRoot(root, ns, rootfs, keys.dir);
    deleteNetns(cl);
    deleteNetns(ns);
  });

  test('two containers get distinct addresses on the bridge mos created; a conflicting address is refused, naming the holder', async () => {
    const r = await boot({ root, supervisorCommand: supervisorCommand(root) });
    const by = Object.fromEntries(r.services.map((s) => [s.name, s]));
    expect(by.web1).toMatchObject({ state: 'running', address: { ipv4: '10.0.3.3/24' }, ports: [{ host: 8080, container: 80 }] });
    expect(by.web2).toMatchObject({ state: 'running', address: { ipv4: '10.0.3.50/24' } });
    expect(by.dupaddr).toMatchObject({ state: 'failed', failure: { code: 'ERR_SERVICES_ADDRESS_IN_USE' } });
    expect(by.dupaddr.failure?.reason).toContain('in use by web2');
    expect(inNetns(ns, 'ip', ['-br', 'addr', 'show', 'lxcbr0'])).toContain('10.0.3.1/24');
    expect(inNetns(ns, 'ip', ['-o', 'link', 'show', 'master', 'lxcbr0']).trim().split('\n')).toHaveLength(2);
    await waitFor('web1 output', () => readFileSync(join(root, 'var/log/mos/web1.log'), 'utf8').includes('IPV4=10.0.3.3/24'));
    expect(wget(ns, 'http://10.0.3.50/').stdout).toBe('hello from busybox httpd\n');
    // its tcp health check connects from inside the namespace
    await waitService(root, 'web2', 'healthy', (s) => s.health === 'healthy');
    // the addresses are persisted for other processes and later boots
    expect(JSON.parse(readFileSync(join(root, 'var/lib/mos/network.json'), 'utf8')).leases).toEqual({
      web1: { ipv4: '10.0.3.3/24', auto: true, ports: [{ host: 8080, container: 80 }] },
      web2: { ipv4: '10.0.3.50/24', ports: [] },
    });
  });

  test('a port forward reaches the container httpd from outside and from the host itself', async () => {
    await waitFor('httpd of web1', () => wget(ns, 'http://10.0.3.3/').status === 0);
    expect(wget(cl, 'http://192.168.77.1:8080/').stdout).toBe('hello from busybox httpd\n');
    expect(wget(ns, 'http://192.168.77.1:8080/').stdout).toBe('hello from busybox httpd\n');
    const rules = natRules(ns);
    expect(rules).toHaveLength(2);
    expect(rules[0]).toMatch(/^-A PREROUTING -i vh\d+ -p tcp -m tcp --dport 8080 -m comment --comment "?mos:web1@[0-9a-f]{8}"? -j DNAT --to-destination 10.0.3.3:80$/);
  });

  test('the same host port on another service is refused, naming the holder; nothing changes', async () => {
    await update(root, keys, [target('web3', img, simple({ ports: [{ host: 8080, container: 80 }] }))], { updateType: 'partial' });
    await expect(activate({ root, name: 'web3', supervisorCommand: supervisorCommand(root) })).rejects.toMatchObject({
      code: 'ERR_SERVICES_PORT_IN_USE',
      details: { holder: 'web1', port: 8080 },
    });
    expect(leftovers(root, ns).containers.sort()).toEqual(['web1', 'web2']);
    expect(natRules(ns)).toHaveLength(2);
    expect(Object.keys(JSON.parse(readFileSync(join(root, 'var/lib/mos/network.json'), 'utf8')).leases).sort()).toEqual(['web1', 'web2']);
  });

  test('deactivate removes the forward and the veth, and releases the address', async () => {
    await deactivate({ root, name: 'web1' });
    expect(natRules(ns)).toEqual([]);
    expect(wget(cl, 'http://192.168.77.1:8080/').status).not.toBe(0);
    expect(inNetns(ns, 'ip', ['-o', 'link', 'show', 'master', 'lxcbr0']).trim().split('\n')).toHaveLength(1);
    expect(Object.keys(JSON.parse(readFileSync(join(root, 'var/lib/mos/network.json'), 'utf8')).leases)).toEqual(['web2']);
    // now the port is free for web3
    const s = await activate({ root, name: 'web3', supervisorCommand: supervisorCommand(root) });
    expect(s).toMatchObject({ state: 'running', ports: [{ host: 8080, container: 80 }] });
    await waitFor('httpd of web3 through the forward', () => wget(cl, 'http://192.168.77.1:8080/').stdout === 'hello from busybox httpd\n');
  });

  test('stopping mos removes every forward and veth; addresses stay leased for the next boot', async () => {
    const web3 = await waitService(root, 'web3', 'running', (x) => x.state === 'running');
    expect(await stopServices({ root })).toBe(true);
    expect(natRules(ns)).toEqual([]);
    expect(inNetns(ns, 'ip', ['-o', 'link', 'show', 'master', 'lxcbr0']).trim()).toBe('');
    expect(leftovers(root, ns)).toEqual({ mounts: [], containers: [] });
    expect(JSON.parse(readFileSync(join(root, 'var/lib/mos/network.json'), 'utf8')).leases.web3).toEqual({ ipv4: web3.address!.ipv4, auto: true, ports: [{ host: 8080, container: 80 }] });
    expect(svc(root, 'web3')).toBeUndefined();
  });
});
