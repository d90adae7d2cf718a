import { LayoutStore, MediaType, resolveImage, type ImageIndex } from '@mos/oci-store';
import { buildImage } from '../helpers/image';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('resolveImage (umoci ResolveReference rules)', () => {
  it('a tag on a manifest resolves to it; a single-entry index is descended', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    await s.tag(a.manifest, 'm');
    expect((await resolveImage(s, 'm')).digest).toBe(a.manifest.digest);
    const idx = await s.pushJson({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [a.manifest] } satisfies ImageIndex, MediaType.ImageIndex);
    await s.tag(idx, 'i');
    expect((await resolveImage(s, 'i')).digest).toBe(a.manifest.digest);
  });

  it('a multi-platform index is ambiguous unless a platform is given', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    const b = await buildImage(s);
    const idx = await s.pushJson({
      schemaVersion: 2, mediaType: MediaType.ImageIndex,
      manifests: [{ ...a.manifest, platform: { os: 'linux', architecture: 'amd64' } }, { ...b.manifest, platform: { os: 'linux', architecture: 'arm64' } }],
    }, MediaType.ImageIndex);
    await s.tag(idx, 'multi');
    await expect(resolveImage(s, 'multi')).rejects.toMatchObject({ code: 'ERR_OCI_AMBIGUOUS_TAG' });
    expect((await resolveImage(s, 'multi', { platform: { os: 'linux', architecture: 'arm64' } })).digest).toBe(b.manifest.digest);
  });

  it('a Docker-typed manifest is not an OCI manifest', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    await s.tag({ ...a.manifest, mediaType: MediaType.DockerManifest }, 'd');
    await expect(resolveImage(s, 'd')).rejects.toMatchObject({ code: 'ERR_OCI_NOT_A_MANIFEST' });
  });
});
