// `boot --systemd`: refused without systemd as PID 1 (this machine); with systemd, everything is
// prepared for real and the units are handed to systemctl -- here a recording stand-in, since
// there is no systemd to run them.
import { bootSystemd, realSys, type Sys } from '@mos/services';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, target, writeSettings, type TestKeys } from './helpers/system';

describe('boot --systemd', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs({ 'run.sh': '#!/bin/sh\nexec sleep 1000\n' });
    const img = await addImage(root, rootfs, { entrypoint: ['/run.sh'] });
    await install(root, keys, [target('svc', img, { nsgroup: 'g' }), target('files', img, { service_type: 'fs-only' })]);
    writeSettings(root);
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, rootfs, keys.dir);
  });

  test('is refused when PID 1 is not systemd, before anything changes', async () => {
    await expect(bootSystemd({ root, systemdRunning: () => false })).rejects.toMatchObject({ code: 'ERR_SERVICES_SYSTEMD_UNAVAILABLE' });
    expect(existsSync(join(root, 'var/lib/lxc'))).toBe(false);
  });

  test('writes a Restart=on-failure unit per container and starts them through systemctl', async () => {
    const systemctl: string[][] = [];
    const sys: Sys = { ...realSys, run: (tool, args, opts) => (tool === 'systemctl' ? (systemctl.push(args), Promise.resolve({ code: 0, stdout: '', stderr: '' })) : realSys.run(tool, args, opts)) };
    const r = await bootSystemd({ root, sys, systemdRunning: () => true });
    expect(r.targets).toEqual([
      { name: 'svc', type: 'container', unit: join(root, 'etc/systemd/system/svc.service') },
      { name: 'files', type: 'fs-only' },
    ]);
    const unit = readFileSync(join(root, 'etc/systemd/system/svc.service'), 'utf8');
    expect(unit).toContain(`Restart=on-failure\nRestartSec=1\nExecStart=/usr/bin/lxc-execute -P ${join(root, 'var/lib/lxc')} -n svc\n`);
    expect(readFileSync(join(root, 'var/lib/lxc/svc/config'), 'utf8')).toContain('lxc.idmap = u 0 100000 65536');
    expect(existsSync(join(root, 'mnt/atom/files/bin/busybox'))).toBe(true);
    expect(systemctl).toEqual([['daemon-reload'], ['enable', 'svc.service'], ['start', '--no-block', 'svc.service']]);
  });
});
