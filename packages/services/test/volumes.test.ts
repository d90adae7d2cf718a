// Storage volumes: ext4 in a file (or on a "partition": a loop device here), mounted at
// R/storage/<label>, owned by the nsgroup's range, bind-mounted into the container.
// Persistent ones keep their data across boots; non-persistent ones start empty at each boot.
import { boot, stopServices } from '@mos/services';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot, leftovers } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, writeSettings, type TestKeys } from './helpers/system';
import { waitFor } from './helpers/wait';

// Each boot appends to the persistent volumes and writes its boot number into the scratch one.
const SCRIPT = `#!/bin/sh
echo boot >> /keep/boots
echo boot >> /part/boots
n=$(wc -l < /keep/boots)
echo "marker-$n" >> /scratch/marker
echo "ready $n"
exec sleep 1000
`;

describe('storage volumes', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;
  let loopDev = '';
  let partFile = '';

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs({ 'vol.sh': SCRIPT });
    const img = await addImage(root, rootfs, { entrypoint: ['/vol.sh'] });
    partFile = join(root, 'partition.img');
    writeFileSync(partFile, '');
    execFileSync('truncate', ['-s', '16M', partFile]);
    loopDev = execFileSync('losetup', ['-f', '--show', partFile], { encoding: 'utf8' }).trim();
    await install(
      root,
      keys,
      [target('app', img, { nsgroup: 'data', storage: [{ dest: '/keep', label: 'keep' }, { dest: '/scratch', label: 'scratch' }, { dest: '/part', label: 'part' }] })],
      [
        { label: 'keep', persistent: true, nsgroup: 'data', size: 16 },
        { label: 'scratch', persistent: false, nsgroup: 'data', size: 16 },
        { label: 'part', persistent: true, nsgroup: 'data', size: 16 },
      ],
    );
    writeSettings(root, { volumeDevices: { part: loopDev } });
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, rootfs, keys.dir);
    if (loopDev) execFileSync('losetup', ['-d', loopDev]);
  });

  const ready = (n: number) => waitFor(`boot ${n} of app`, () => readFileSync(join(root, 'var/log/mos/app.log'), 'utf8').includes(`ready ${n}`));

  test('first boot creates the volumes, owned by the nsgroup range, mounted into the container', async () => {
    const r = await boot({ root, supervisorCommand: supervisorCommand(root) });
    expect(r.volumes).toEqual([
      { label: 'keep', action: 'created' },
      { label: 'scratch', action: 'created' },
      { label: 'part', action: 'created' },
    ]);
    await ready(1);
    for (const label of ['keep', 'scratch', 'part']) {
      const st = statSync(join(root, 'storage', label));
      expect([st.uid, st.gid]).toEqual([100000, 100000]);
    }
    // written by the container's root: on the host, the group's first uid
    expect(statSync(join(root, 'storage/keep/boots')).uid).toBe(100000);
    expect(readFileSync(join(root, 'var/lib/lxc/app/config'), 'utf8')).toContain(`lxc.mount.entry = ${join(root, 'storage/keep')} keep none bind,create=dir 0 0\n`);
    expect(existsSync(join(root, 'storage-volumes/keep.ext4'))).toBe(true);
    expect(existsSync(join(root, 'storage-volumes/part.ext4'))).toBe(false);
  });

  test('stopping mos unmounts the volumes (and detaches their loop devices)', async () => {
    expect(await stopServices({ root })).toBe(true);
    expect(leftovers(root)).toEqual({ mounts: [], containers: [] });
    expect(execFileSync('losetup', ['-j', join(root, 'storage-volumes/keep.ext4')], { encoding: 'utf8' })).toBe('');
  });

  test('a second boot keeps the persistent volumes and gives a fresh non-persistent one', async () => {
    const r = await boot({ root, supervisorCommand: supervisorCommand(root) });
    expect(r.volumes).toEqual([
      { label: 'keep', action: 'mounted' },
      { label: 'scratch', action: 'recreated' },
      { label: 'part', action: 'mounted' },
    ]);
    await ready(2);
    expect(readFileSync(join(root, 'storage/keep/boots'), 'utf8')).toBe('boot\nboot\n');
    expect(readFileSync(join(root, 'storage/part/boots'), 'utf8')).toBe('boot\nboot\n');
    expect(readFileSync(join(root, 'storage/scratch/marker'), 'utf8')).toBe('marker-2\n');
  });

  test('boot on a running system keeps mounted volumes as they are', async () => {
    const r = await boot({ root, supervisorCommand: supervisorCommand(root) });
    expect(r.volumes.map((v) => v.action)).toEqual(['kept', 'kept', 'kept']);
    expect(readFileSync(join(root, 'storage/scratch/marker'), 'utf8')).toBe('marker-2\n');
    expect(await stopServices({ root })).toBe(true);
    expect(leftovers(root)).toEqual({ mounts: [], containers: [] });
  });
});
