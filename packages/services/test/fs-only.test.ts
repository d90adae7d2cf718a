// fs-only targets: a read-only root bind-mounted at R/mnt/atom/<name>; re-activation after an
// update shows the new content (the original's "update of fs-only layer" test).
import { activate, deactivate, stopServices } from '@mos/services';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot, leftovers } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, update, writeSettings, type TestKeys } from './helpers/system';

describe('fs-only targets', () => {
  let keys: TestKeys;
  let root: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    writeSettings(root);
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, ...dirs, keys.dir);
  });

  test('activate mounts it read-only at R/mnt/atom/<name>; again is a no-op; an update swaps it; deactivate unmounts', async () => {
    const v1 = makeRootfs({ 'etc/version': 'one\n' });
    const v2 = makeRootfs({ 'etc/version': 'two\n', u1: 'new in v2\n' });
    dirs.push(v1, v2);
    const img1 = await addImage(root, v1, { cmd: ['/bin/sh'] });
    const img2 = await addImage(root, v2, { cmd: ['/bin/sh'] });
    const hostfs = target('hostfs', img1, { service_type: 'hostfs', network: { type: 'host', ipv4: '', ipv6: '', ports: null } });
    await install(root, keys, [hostfs, target('tools', img1, { service_type: 'fs-only' })]);
    const atom = join(root, 'mnt/atom/tools');
    const cmd = supervisorCommand(root);

    const s1 = await activate({ root, name: 'tools', supervisorCommand: cmd });
    expect(s1).toMatchObject({ name: 'tools', type: 'fs-only', state: 'mounted', digest: img1.digest });
    expect(readFileSync(join(atom, 'etc/version'), 'utf8')).toBe('one\n');
    expect(existsSync(join(atom, 'u1'))).toBe(false);
    expect(() => writeFileSync(join(atom, 'etc/x'), 'x')).toThrow(/EROFS|read-only/);
    const again = await activate({ root, name: 'tools', supervisorCommand: cmd });
    expect(again.since).toBe(s1.since);

    await update(root, keys, [hostfs, target('tools', img2, { service_type: 'fs-only', version: '2.0.0' })]);
    const s2 = await activate({ root, name: 'tools', supervisorCommand: cmd });
    expect(s2).toMatchObject({ state: 'mounted', version: '2.0.0', digest: img2.digest });
    expect(readFileSync(join(atom, 'etc/version'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(atom, 'u1'), 'utf8')).toBe('new in v2\n');
    expect(leftovers(root).mounts.filter((m) => m.endsWith('/tools'))).toEqual([join(root, 'scratch-writes/roots/tools'), join(root, 'mnt/atom/tools')].reverse());

    expect(await deactivate({ root, name: 'tools' })).toEqual({ name: 'tools', was: 'mounted' });
    expect(existsSync(join(atom, 'etc/version'))).toBe(false);
    expect(await stopServices({ root })).toBe(true);
    expect(leftovers(root)).toEqual({ mounts: [], containers: [] });
  });
});
