// Real tools read what we write and write what we read: umoci ls/stat, skopeo copy oci→oci.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, sha256Digest } from '@mos/oci-store';
import { buildImage } from '../helpers/image';
import { run } from '../helpers/run';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('our layouts read by umoci and skopeo', () => {
  it('umoci ls lists our tags (sha256:<hex> included) and umoci stat parses the image', async () => {
    const dir = join(dirs.make(), 'l');
    const s = await LayoutStore.open(dir, { create: true });
    const img = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
    const t = `sha256:${img.manifest.digest.slice(7)}`;
    await s.tag(img.manifest, t);
    await s.tag(img.manifest, 'v1');
    expect(run('umoci', ['ls', '--layout', dir]).stdout.trim().split('\n').sort()).toEqual([t, 'v1'].sort());
    const stat = JSON.parse(run('umoci', ['stat', '--image', `${dir}:${t}`, '--json']).stdout);
    expect(stat).toHaveProperty('history');
  });

  it('skopeo copies our layout to a new layout with the manifest digest preserved', async () => {
    const root = dirs.make();
    const s = await LayoutStore.open(join(root, 'src'), { create: true });
    const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity, layers: 3 });
    await s.tag(img.manifest, 'v1');
    run('skopeo', ['copy', `oci:${join(root, 'src')}:v1`, `oci:${join(root, 'dst')}:sha256:${img.manifest.digest.slice(7)}`]);
    const dst = await LayoutStore.open(join(root, 'dst'));
    const d = await dst.resolve(`sha256:${img.manifest.digest.slice(7)}`);
    expect(d.digest).toBe(img.manifest.digest);
    for (const [digest, bytes] of img.blobs) expect(sha256Digest(readFileSync(dst.blobPath(digest)))).toBe(sha256Digest(bytes));
  });

  it('we read a layout skopeo wrote (and umoci init wrote)', async () => {
    const root = dirs.make();
    const s = await LayoutStore.open(join(root, 'src'), { create: true });
    const img = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
    await s.tag(img.manifest, 'v1');
    run('skopeo', ['copy', '--preserve-digests', `oci:${join(root, 'src')}:v1`, `oci:${join(root, 'sk')}:a`]);
    run('skopeo', ['copy', '--preserve-digests', `oci:${join(root, 'src')}:v1`, `oci:${join(root, 'sk')}:b`]);
    const sk = await LayoutStore.open(join(root, 'sk'));
    expect((await sk.resolve('a')).digest).toBe(img.manifest.digest);
    expect((await sk.resolve('b')).digest).toBe(img.manifest.digest);
    const m = await sk.fetchJson<{ layers: unknown[] }>(await sk.resolve('a'));
    expect(m.layers).toHaveLength(2);
    run('umoci', ['init', '--layout', join(root, 'um')]);
    const um = await LayoutStore.open(join(root, 'um'));
    expect(await um.tags()).toEqual([]);
  });

  it('we write into layouts skopeo and umoci made (they have no .uploads/ staging directory)', async () => {
    const root = dirs.make();
    run('umoci', ['init', '--layout', join(root, 'um')]);
    const src = await LayoutStore.open(join(root, 'src'), { create: true });
    const img = await buildImage(src, { layerMediaType: MediaType.LayerTarGzip });
    await src.tag(img.manifest, 'v1');
    run('skopeo', ['copy', '--preserve-digests', `oci:${join(root, 'src')}:v1`, `oci:${join(root, 'sk')}:v1`]);
    for (const dir of [join(root, 'um'), join(root, 'sk')]) {
      expect(existsSync(join(dir, '.uploads'))).toBe(false);
      const s = await LayoutStore.open(dir);
      const d = await s.pushJson({ hello: dir }, 'application/json');
      expect(sha256Digest(readFileSync(s.blobPath(d.digest)))).toBe(d.digest);
    }
  });
});
