// Real containers: lxc-execute under the supervisor, atomfs roots, a signed installed state.
import { activate, boot, deactivate, serviceStatus, stopServices, type BootResult } from '@mos/services';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot, leftovers } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, update, writeSettings, type TestKeys } from './helpers/system';
import { svc, waitService } from './helpers/wait';

const SCRIPTS = {
  'env.sh': '#!/bin/sh\necho "FOO=$FOO HOME=$HOME ARGC=$# ARGS=$*"\nexec sleep 1000\n',
  'crash.sh': '#!/bin/sh\necho "crashing with 3"\nexit 3\n',
  'flaky.sh': '#!/bin/sh\nif [ -f /ran ]; then echo "second run"; exec sleep 1000; fi\ntouch /ran\necho "first run fails"\nexit 5\n',
};

describe('container services', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;
  let result: BootResult;
  const images: Record<string, { digest: string; size: number }> = {};

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs(SCRIPTS);
    images.env = await addImage(root, rootfs, { entrypoint: ['/env.sh'], cmd: ['a b', 'c'], env: ['FOO=bar'] });
    images.crash = await addImage(root, rootfs, { entrypoint: ['/crash.sh'] });
    images.flaky = await addImage(root, rootfs, { entrypoint: ['/flaky.sh'] });
    images.noentry = await addImage(root, rootfs, { cmd: ['/env.sh'] });
    await install(root, keys, [
      target('hostfs', images.env, { service_type: 'hostfs', network: { type: 'host', ipv4: '', ipv6: '', ports: null } }),
      target('envsvc', images.env, { nsgroup: 'g1' }),
      target('flaky', images.flaky),
      target('crash', images.crash),
      target('noentry', images.noentry),
      // the original's `containeronly` shape: a container in nsgroup c1 on the host network
      target('hostfstarget', images.env, { nsgroup: 'c1', network: { type: 'host', ipv4: '', ipv6: '', ports: null } }),
    ]);
    writeSettings(root);
    result = await boot({ root, supervisorCommand: supervisorCommand(root) });
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, rootfs, keys.dir);
  });

  test('boot activates every target but hostfs and returns once each runs or has failed', () => {
    expect(result.services.map((s) => s.name)).toEqual(['envsvc', 'flaky', 'crash', 'noentry', 'hostfstarget']);
    const by = Object.fromEntries(result.services.map((s) => [s.name, s]));
    expect(by.envsvc.state).toBe('running');
    expect(by.hostfstarget).toMatchObject({ state: 'running', uidShift: 'chown' });
    expect(readFileSync(join(root, 'var/lib/lxc/hostfstarget/config'), 'utf8')).toContain('lxc.net.0.type = none\n');
    expect(['backoff', 'starting', 'running']).toContain(by.flaky.state);
    expect(by.noentry).toMatchObject({ state: 'failed', failure: { code: 'ERR_SERVICES_NO_ENTRYPOINT' } });
    expect(result.notRunning).toEqual(expect.arrayContaining(['noentry']));
  });

  test('a busybox container runs its entrypoint + cmd with the image environment, as root inside', async () => {
    const s = await waitService(root, 'envsvc', 'running', (x) => x.state === 'running');
    expect(s.pid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${s.pid}`)).toBe(true);
    const log = readFileSync(join(root, 'var/log/mos/envsvc.log'), 'utf8');
    expect(log).toContain('FOO=bar HOME=/root ARGC=2 ARGS=a b c');
    expect(readFileSync(join(root, 'var/lib/lxc/envsvc/config'), 'utf8')).toContain('lxc.execute.cmd = /env.sh "a b" c\n');
  });

  test('a crash is restarted with backoff; the exit status is observed', async () => {
    const s = await waitService(root, 'flaky', 'running after a restart', (x) => x.state === 'running' && x.restarts === 1);
    expect(s.lastExit).toMatchObject({ code: 5, signal: null, reason: 'exit' });
    expect(readFileSync(join(root, 'var/log/mos/flaky.log'), 'utf8')).toMatch(/first run fails\n[\s\S]*second run/);
  });

  test('a crash loop ends as failed, with its last exit status and log tail', async () => {
    const s = await waitService(root, 'crash', 'failed', (x) => x.state === 'failed');
    expect(s.restarts).toBe(3);
    expect(s.lastExit?.code).toBe(3);
    expect(s.failure?.reason).toBe('exited (status 3) 4 times in a row; gave up');
    expect(s.failure?.logTail).toContain('crashing with 3');
  });

  test('killing the service process makes the supervisor restart it', async () => {
    const before = await waitService(root, 'envsvc', 'running', (x) => x.state === 'running');
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitService(root, 'envsvc', 'restarted', (x) => x.state === 'running' && x.restarts === before.restarts + 1);
    expect(after.pid).not.toBe(before.pid);
    expect(after.lastExit?.code).not.toBe(0);
  });

  test('activating the same version again is a no-op', async () => {
    const before = await waitService(root, 'envsvc', 'running', (x) => x.state === 'running');
    const again = await activate({ root, name: 'envsvc', supervisorCommand: supervisorCommand(root) });
    expect(again.pid).toBe(before.pid);
    expect(svc(root, 'envsvc')?.pid).toBe(before.pid);
  });

  test('hostfs cannot be activated; an unknown target or a hostile name is refused; nothing changes', async () => {
    const cmd = supervisorCommand(root);
    await expect(activate({ root, name: 'hostfs', supervisorCommand: cmd })).rejects.toMatchObject({ code: 'ERR_SERVICES_HOSTFS_REFUSED' });
    await expect(activate({ root, name: 'nope', supervisorCommand: cmd })).rejects.toMatchObject({ code: 'ERR_SERVICES_TARGET_NOT_FOUND' });
    await expect(activate({ root, name: '../x', supervisorCommand: cmd })).rejects.toMatchObject({ code: 'ERR_SERVICES_INVALID' });
    expect(existsSync(join(root, 'var/lib/lxc/hostfs'))).toBe(false);
    expect(leftovers(root).mounts).not.toContain(join(root, 'scratch-writes/roots/noentry'));
  });

  test('a different version restarts the service on its new image', async () => {
    const before = await waitService(root, 'envsvc', 'running', (x) => x.state === 'running');
    const v2 = await addImage(root, rootfs, { entrypoint: ['/env.sh'], cmd: ['v2'], env: ['FOO=two'] });
    await update(root, keys, [
      target('hostfs', images.env, { service_type: 'hostfs', network: { type: 'host', ipv4: '', ipv6: '', ports: null } }),
      target('envsvc', v2, { nsgroup: 'g1', version: '2.0.0' }),
    ]);
    const after = await activate({ root, name: 'envsvc', supervisorCommand: supervisorCommand(root) });
    expect(after).toMatchObject({ state: 'running', version: '2.0.0', digest: v2.digest, restarts: 0 });
    expect(after.pid).not.toBe(before.pid);
    expect(readFileSync(join(root, 'var/log/mos/envsvc.log'), 'utf8')).toContain('FOO=two HOME=/root ARGC=1 ARGS=v2');
  });

  test('deactivate stops the service and leaves no container or mount behind; stopping mos stops the rest', async () => {
    expect(await deactivate({ root, name: 'envsvc' })).toEqual({ name: 'envsvc', was: 'running' });
    expect(svc(root, 'envsvc')).toBeUndefined();
    expect(leftovers(root).containers).not.toContain('envsvc');
    expect(leftovers(root).mounts.filter((m) => m.includes('envsvc'))).toEqual([]);
    expect(await deactivate({ root, name: 'envsvc' })).toEqual({ name: 'envsvc', was: null });
    expect(await stopServices({ root })).toBe(true);
    expect(leftovers(root)).toEqual({ mounts: [], containers: [] });
    expect(serviceStatus({ root })).toMatchObject({ supervisor: { running: false }, services: [] });
  });
});
