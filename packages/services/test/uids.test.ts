// uid ranges: each nsgroup's container runs in its own user namespace; inside, the image's files
// are owned as the image says; on the host they (and the processes) are in the group's range.
import { boot } from '@mos/services';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, writeSettings, type TestKeys } from './helpers/system';
import { waitFor, waitService } from './helpers/wait';

const SCRIPT = '#!/bin/sh\necho "inside: uid=$(id -u) root-owner=$(stat -c %u:%g /) busybox-owner=$(stat -c %u /bin/busybox) tmp-mode=$(stat -c %a /tmp)"\nexec sleep 1000\n';

const hostUid = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('uid ranges', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs({ 'id.sh': SCRIPT });
    const img = await addImage(root, rootfs, { entrypoint: ['/id.sh'] });
    await install(root, keys, [target('one', img, { nsgroup: 'alpha' }), target('two', img, { nsgroup: 'beta' }), target('plain', img, { nsgroup: 'none' })]);
    writeSettings(root);
    await boot({ root, supervisorCommand: supervisorCommand(root) });
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, rootfs, keys.dir);
  });

  const logOf = (name: string) => waitFor(`${name} output`, () => /inside: .*/.exec(readFileSync(join(root, 'var/log/mos', `${name}.log`), 'utf8'))?.[0]);

  test('inside, / and the image files are owned by 0 and the service runs as root', async () => {
    for (const name of ['one', 'two', 'plain']) {
      expect(await logOf(name)).toBe('inside: uid=0 root-owner=0:0 busybox-owner=0 tmp-mode=1777');
    }
  });

  test('on the host, two nsgroups get disjoint ranges: processes and (shifted) files in their own range', async () => {
    const state = JSON.parse(readFileSync(join(root, 'config/manifest.git/manifest.json'), 'utf8'));
    const hostid = Object.fromEntries(state.uidmaps.map((m: { 'idmap-name': string; hostid: number }) => [m['idmap-name'], m.hostid]));
    expect(hostid).toEqual({ alpha: 100000, beta: 165536 });
    for (const [name, group] of [['one', 'alpha'], ['two', 'beta']]) {
      const s = await waitService(root, name, 'running', (x) => x.state === 'running');
      expect(hostUid(s.pid!)).toBe(hostid[group]);
      const busybox = lstatSync(join(root, 'scratch-writes/roots', name, 'bin/busybox'));
      if (s.uidShift === 'chown') {
        expect([busybox.uid, busybox.gid]).toEqual([hostid[group], hostid[group]]);
        // set-id bits survive the shift; the sticky /tmp too
        expect(lstatSync(join(root, 'scratch-writes/roots', name, 'tmp')).mode & 0o7777).toBe(0o1777);
      } else {
        expect(s.uidShift).toBe('idmap'); // the kernel idmaps the mount: files stay 0 on disk
        expect(busybox.uid).toBe(0);
      }
      expect(readFileSync(join(root, 'var/lib/lxc', name, 'config'), 'utf8')).toContain(`lxc.idmap = u 0 ${hostid[group]} 65536\nlxc.idmap = g 0 ${hostid[group]} 65536\n`);
    }
  });

  test('nsgroup "none": no user namespace, no idmap lines, host uids', async () => {
    const s = await waitService(root, 'plain', 'running', (x) => x.state === 'running');
    expect(s.uidShift).toBe('none');
    expect(hostUid(s.pid!)).toBe(0);
    expect(readFileSync(join(root, 'var/lib/lxc/plain/config'), 'utf8')).not.toContain('lxc.idmap');
  });
});
