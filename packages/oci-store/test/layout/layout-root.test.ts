import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutRoot } from '@mos/oci-store';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('LayoutRoot (zot-shaped multi-repo root)', () => {
  it('creates repos on demand, lists nested ones, accepts a zot repo with "manifests": null', async () => {
    const root = await LayoutRoot.open(dirs.make());
    await root.repo('mos', { create: true });
    await root.repo('machine/install', { create: true });
    const zot = join(root.dir, 'zotrepo');
    mkdirSync(join(zot, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(zot, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(zot, 'index.json'), '{"schemaVersion":2,"manifests":null}');
    mkdirSync(join(root.dir, '.uploads'));
    expect(await root.repositories()).toEqual(['machine/install', 'mos', 'zotrepo']);
    expect(await (await root.repo('zotrepo')).tags()).toEqual([]);
    await expect(root.repo('absent')).rejects.toMatchObject({ code: 'ERR_OCI_NOT_FOUND' });
  });

  it('hostile repository names never become paths', async () => {
    const root = await LayoutRoot.open(dirs.make());
    for (const n of ['../x', '/abs', 'a//b', 'a/../b', 'A', 'a\0b', '', '.hidden', 'a/']) {
      await expect(root.repo(n, { create: true })).rejects.toMatchObject({ code: 'ERR_OCI_INVALID_NAME' });
    }
    expect(await root.repositories()).toEqual([]);
  });
});
