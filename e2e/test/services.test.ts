import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, cleanupMounts, httpGetIn, netnsPair, runBin, runOk } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { waitFor } from './helpers/wait';

// Issue 6 through the CLIs: the original's containeronly install booted, and a busybox httpd on
// a `simple` network with a port forward -- inside network namespaces this test makes, never on
// the machine's own network.
let w: World;
const roots: string[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(async () => {
  for (const root of roots) await runBin('mosctl', ['supervise', '--stop', '--rfs', root]);
  for (const root of roots) expect(cleanupMounts(root)).toEqual([]);
  for (const c of cleanups) c();
  await stopWorld(w);
});

const services = async (root: string) => {
  const r = await runOk('mosctl', ['services', '--rfs', root, '--json']);
  return Object.fromEntries(JSON.parse(r.stdout).services.map((s: { name: string }) => [s.name, s])) as Record<string, { state: string; pid?: number; restarts: number; ports?: unknown[]; uidShift?: string }>;
};

test('containeronly: install, boot, the container runs in its nsgroup, stop leaves nothing behind', async () => {
  const root = makeRoot(w);
  roots.push(root);
  await runOk('mosctl', ['install', '--rfs', root, await publishYaml(w, installYaml(w, 'containeronly'), 'machine/install:container')], { env: w.env });
  // Whatever the operator had exported must not reach the container (its root reads /proc/1/environ).
  await runOk('mosctl', ['boot', '--rfs', root], { env: { MOS_E2E_SECRET_TOKEN: 'leak-canary-5f2c' } });
  const svc = (await waitFor('hostfstarget running', async () => ((await services(root)).hostfstarget?.state === 'running' ? (await services(root)).hostfstarget : undefined)))!;
  expect(svc.pid).toBeGreaterThan(1);
  const initEnv = readFileSync(`/proc/${svc.pid}/environ`, 'utf8').split('\0').filter(Boolean);
  // Nothing of the caller's: PATH only (the command itself gets its image's Env and HOME from the config).
  expect(initEnv).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  // Inside, / belongs to root; on the host the files are in nsgroup c1's range (from 100000).
  const uidInside = execFileSync('nsenter', ['-t', String(svc.pid), '-U', '-m', 'stat', '-c', '%u', '/bin/busybox'], { encoding: 'utf8' }).trim();
  expect(uidInside).toBe('0');
  expect(statSync(join(root, 'scratch-writes', 'roots', 'hostfstarget', 'bin', 'busybox')).uid).toBeGreaterThanOrEqual(100000);
  await runOk('mosctl', ['supervise', '--stop', '--rfs', root]);
  expect(execFileSync('lxc-ls', ['-P', join(root, 'var', 'lib', 'lxc'), '--running'], { encoding: 'utf8' }).trim()).toBe('');
});

test('httpd on a simple network: a page through the port forward, restarted after kill -9, gone after deactivate', async () => {
  // The image: busybox plus a web root and an entrypoint that runs httpd in the foreground.
  const layer = w.dirs.make('mos-e2e-httpd-');
  mkdirSync(join(layer, 'www'));
  writeFileSync(join(layer, 'www', 'index.html'), 'hello from mos\n');
  writeFileSync(join(layer, 'httpd.sh'), '#!/bin/sh\nexec httpd -f -p 80 -h /www\n', { mode: 0o755 });
  const tree = busyboxTree(join(w.dirs.make('mos-e2e-bb-'), 'rootfs'));
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'httpd', '--entrypoint', '/httpd.sh', tree, layer]);
  const yaml = `version: 1\nproduct: ${w.product}\nupdate_type: complete\ntargets:\n` +
    `  - {service_name: hostfs, source: "oci:${w.zothub}:busybox-squashfs", version: "1", service_type: hostfs, network: {type: host}}\n` +
    `  - {service_name: web, source: "oci:${w.zothub}:httpd", version: "1", service_type: container, nsgroup: web, network: {type: simple, ports: [{host: 8080, container: 80}]}}\n`;
  const root = makeRoot(w);
  roots.push(root);
  await runOk('mosctl', ['install', '--rfs', root, await publishYaml(w, yaml, 'machine/install:httpd')], { env: w.env });

  // NS holds mos's bridge and forwards; CL, wired to it by a veth pair, is an outside client.
  const net = netnsPair(`mos-e2e-${process.pid}`);
  cleanups.push(net.remove);
  const ns = net.ns;
  mkdirSync(join(root, 'etc', 'mos'), { recursive: true });
  writeFileSync(join(root, 'etc', 'mos', 'services.json'), JSON.stringify({ netns: ns }));

  const get = () => httpGetIn(net.client, `http://${net.host}:8080/`);
  await runOk('mosctl', ['boot', '--rfs', root]);
  const first = (await waitFor('web running', async () => ((await services(root)).web?.state === 'running' ? (await services(root)).web : undefined)))!;
  expect(first.ports).toEqual([{ host: 8080, container: 80 }]);
  expect(await waitFor('a page through the forward', get)).toBe('hello from mos\n');
  const status = JSON.parse((await runOk('mosctl', ['status', '--rfs', root, '--json'])).stdout);
  expect(status.services).toContainEqual(expect.objectContaining({ name: 'web', state: 'running', ports: [{ host: 8080, container: 80 }] }));

  process.kill(first.pid!, 'SIGKILL');
  const again = (await waitFor('web restarted', async () => {
    const s = (await services(root)).web;
    return s?.state === 'running' && s.pid !== first.pid ? s : undefined;
  }))!;
  expect(again.restarts).toBe(1);
  expect(await waitFor('the page again', get)).toBe('hello from mos\n');

  await runOk('mosctl', ['deactivate', '-t', 'web', '--rfs', root]);
  expect(get()).toBeUndefined();
  expect(execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-S'], { encoding: 'utf8' })).not.toContain('8080');
});

test('a device node shipped in an image opens nothing: not inside the container, not through its root on the host', async () => {
  // /dev/null's numbers (harmless if the test were wrong), at a path lxc's own /dev does not cover.
  const layer = w.dirs.make('mos-e2e-devnode-');
  execFileSync('mknod', ['-m', '0666', join(layer, 'nullnode'), 'c', '1', '3']);
  writeFileSync(join(layer, 'run.sh'), '#!/bin/sh\nif echo x > /nullnode; then echo "nullnode: opened"; else echo "nullnode: refused"; fi\nexec sleep 600\n', { mode: 0o755 });
  const tree = busyboxTree(join(w.dirs.make('mos-e2e-bb-'), 'rootfs'));
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'devnode', '--entrypoint', '/run.sh', tree, layer]);
  const yaml = `version: 1\nproduct: ${w.product}\nupdate_type: complete\ntargets:\n` +
    `  - {service_name: hostfs, source: "oci:${w.zothub}:busybox-squashfs", version: "1", service_type: hostfs, network: {type: host}}\n` +
    `  - {service_name: dn, source: "oci:${w.zothub}:devnode", version: "1", service_type: container, nsgroup: dn, network: {type: none}}\n`;
  const root = makeRoot(w);
  roots.push(root);
  await runOk('mosctl', ['install', '--rfs', root, await publishYaml(w, yaml, 'machine/install:devnode')], { env: w.env });
  await runOk('mosctl', ['boot', '--rfs', root]);
  await waitFor('dn running', async () => (await services(root)).dn?.state === 'running');
  const log = join(root, 'var', 'log', 'mos', 'dn.log');
  const said = await waitFor('the container to try its node', () => (existsSync(log) ? /nullnode: (opened|refused)/.exec(readFileSync(log, 'utf8'))?.[0] : undefined));
  expect(said).toBe('nullnode: refused');
  // On the host, even root cannot open it through the container's root (nodev), and the mount says so.
  const node = join(root, 'scratch-writes', 'roots', 'dn', 'nullnode');
  expect(statSync(node).isCharacterDevice()).toBe(true);
  expect(() => writeFileSync(node, 'x')).toThrow(/EACCES/);
  const mnt = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === join(root, 'scratch-writes', 'roots', 'dn'));
  expect(mnt?.split(' ')[5].split(',')).toContain('nodev');
  await runOk('mosctl', ['supervise', '--stop', '--rfs', root]);
});
