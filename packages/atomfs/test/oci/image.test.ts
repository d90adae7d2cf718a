// OCI glue, for real: buildImage writes a layout() umoci and skopeo read; mountImage mounts
// `oci:DIR:TAG`, accepting both media-type generations and both root-hash keys.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, type ImageManifest } from '@mos/oci-store';
import {
  ROOT_HASH_ANNOTATION_NEW,
  ROOT_HASH_ANNOTATION_OLD,
  SQUASHFS_VERITY_MEDIA_TYPE,
  buildImage,
  locateVerity,
  mountImage,
  resolveImageLayers,
  umountMolecule,
} from '@mos/atomfs';
import { busyboxLayers } from '../helpers/fixtures';
import { forceCleanup, loopsUnder, mountsUnder } from '../helpers/mounts';
import { sh, tempDir } from '../helpers/tmp';

describe('OCI images of squashfs+verity layers (real)', () => {
  const t = tempDir();
  const layout = (): string => join(t.dir, 'oci');
  const scratch = (): string => join(t.dir, 'scratch');
  let built: Awaited<ReturnType<typeof buildImage>>;
  beforeAll(async () => {
    const L = busyboxLayers(t.dir);
    built = await buildImage({ layout: layout(), tag: 'demo', sources: [L.base, L.del, join(t.dir, 'src-opq')], entrypoint: ['/bin/sh', '-c'], cmd: ['cat /etc/motd'], env: ['PATH=/bin', 'A=b'] });
  });
  afterEach(() => expect(forceCleanup(t.dir)).toEqual([]));
  afterAll(() => {
    forceCleanup(t.dir);
    t.cleanup();
  });

  it('writes a layout() umoci and skopeo read, with stacker media types and both root-hash keys', async () => {
    expect(sh('umoci', ['ls', '--layout', layout()]).out.trim()).toBe('demo');
    expect(sh('umoci', ['stat', '--image', `${layout()}:demo`]).out).toContain('atomfs build');
    const m = JSON.parse(sh('skopeo', ['inspect', '--raw', `oci:${layout()}:demo`]).out) as ImageManifest;
    expect(m.layers).toHaveLength(3);
    for (const [i, l] of m.layers.entries()) {
      expect(l.mediaType).toBe(SQUASHFS_VERITY_MEDIA_TYPE);
      expect(l.annotations).toEqual({ [ROOT_HASH_ANNOTATION_NEW]: built.layers[i].rootHash, [ROOT_HASH_ANNOTATION_OLD]: built.layers[i].rootHash });
      // The blob is the squashfs with verity appended; veritysetup accepts it with the pinned root hash.
      const blob = join(layout(), 'blobs/sha256', l.digest.slice(7));
      const { hashOffset } = await locateVerity(blob);
      expect(sh('veritysetup', ['verify', blob, blob, built.layers[i].rootHash, `--hash-offset=${hashOffset}`], { allowFail: true }).code).toBe(0);
      expect(sh('unsquashfs', ['-s', blob]).out).toContain('Compression zstd');
    }
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', '--raw', `oci:${layout()}:demo`]).out);
    expect(cfg.config).toEqual({ Env: ['PATH=/bin', 'A=b'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['cat /etc/motd'] });
    expect(cfg.rootfs.diff_ids).toEqual(m.layers.map((l) => l.digest));
    sh('skopeo', ['copy', `oci:${layout()}:demo`, `oci:${join(t.dir, 'copy')}:demo`]);
    expect(sh('skopeo', ['inspect', '--raw', `oci:${join(t.dir, 'copy')}:demo`]).out).toBe(sh('skopeo', ['inspect', '--raw', `oci:${layout()}:demo`]).out);
  });

  it('mounts oci:DIR:TAG and records where it came from', async () => {
    const d = join(t.dir, 'mnt', 'demo');
    const m = await mountImage({ image: `oci:${layout()}:demo`, dest: d, scratch: scratch() });
    try {
      expect(m.source).toEqual({ image: `oci:${layout()}:demo`, manifest: built.manifest.digest });
      expect(m.layers.map((l) => l.id)).toEqual(built.layers.map((l) => l.digest.slice(7)).reverse());
      expect(readdirSync(join(d, 'opt'))).toEqual(['new']);
      expect(existsSync(join(d, 'etc/hostname'))).toBe(false);
      expect(sh('chroot', [d, '/bin/sh', '-c', 'cat /etc/motd']).out).toBe('hello from base\n');
    } finally {
      await umountMolecule(d);
    }
    expect(mountsUnder(t.dir)).toEqual([]);
    expect(loopsUnder(t.dir)).toEqual([]);
  });

  it('mounts by layout() and manifest digest too', async () => {
    for (const image of [{ layout: layout(), digest: built.manifest.digest }, `oci:${layout()}@${built.manifest.digest}`]) {
      const d = join(t.dir, 'mnt', 'by-digest');
      const m = await mountImage({ image, dest: d, scratch: scratch() });
      try {
        expect(m.source?.manifest).toBe(built.manifest.digest);
        expect(readFileSync(join(d, 'etc/added'), 'utf8')).toBe('added\n');
      } finally {
        await umountMolecule(d);
      }
    }
    await expect(resolveImageLayers({ layout: layout(), digest: `sha256:${'0'.repeat(64)}` })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_IMAGE' });
  });

  /** Re-tags the demo image's layers under a rewritten manifest. */
  async function variant(tag: string, edit: (l: ImageManifest['layers'][number], i: number) => ImageManifest['layers'][number]): Promise<void> {
    const store = await LayoutStore.open(layout());
    const m = await store.fetchJson<ImageManifest>(built.manifest);
    const manifest = await store.pushJson({ ...m, layers: m.layers.map(edit) }, MediaType.ImageManifest);
    await store.tag(manifest, tag);
  }

  it('reads the new media type with only the new key, and the old key alone', async () => {
    await variant('new-gen', (l, i) => ({ ...l, mediaType: MediaType.StackerSquashfsZstd, annotations: { [ROOT_HASH_ANNOTATION_NEW]: built.layers[i].rootHash } }));
    await variant('old-key', (l, i) => ({ ...l, annotations: { [ROOT_HASH_ANNOTATION_OLD]: built.layers[i].rootHash } }));
    for (const tag of ['new-gen', 'old-key']) {
      const r = await resolveImageLayers(`oci:${layout()}:${tag}`);
      expect(r.layers.map((l) => l.rootHash)).toEqual(built.layers.map((l) => l.rootHash));
      const d = join(t.dir, 'mnt', tag);
      await mountImage({ image: `oci:${layout()}:${tag}`, dest: d, scratch: scratch() });
      try {
        expect(readFileSync(join(d, 'etc/added'), 'utf8')).toBe('added\n');
      } finally {
        await umountMolecule(d);
      }
    }
  });

  it('refuses images atomfs cannot mount safely', async () => {
    await variant('two-keys', (l) => ({ ...l, annotations: { [ROOT_HASH_ANNOTATION_NEW]: 'a'.repeat(64), [ROOT_HASH_ANNOTATION_OLD]: 'b'.repeat(64) } }));
    await variant('tar-layer', (l) => ({ ...l, mediaType: MediaType.LayerTar }));
    await variant('no-hash', (l) => ({ ...l, annotations: {} }));
    await variant('wrong-hash', (l, i) => ({ ...l, annotations: { [ROOT_HASH_ANNOTATION_OLD]: i === 0 ? 'c'.repeat(64) : built.layers[i].rootHash } }));
    const d = join(t.dir, 'mnt', 'refused');
    const code = (tag: string) => mountImage({ image: `oci:${layout()}:${tag}`, dest: d, scratch: scratch() }).then(() => 'mounted', (e: { code: string }) => e.code);
    expect(await code('two-keys')).toBe('ERR_ATOMFS_BAD_IMAGE');
    expect(await code('tar-layer')).toBe('ERR_ATOMFS_BAD_IMAGE');
    expect(await code('no-hash')).toBe('ERR_ATOMFS_ROOT_HASH_MISSING');
    expect(await code('wrong-hash')).toBe('ERR_ATOMFS_ROOT_HASH_MISMATCH');
    expect(await code('no-such-tag')).toBe('ERR_OCI_TAG_NOT_FOUND');
    await expect(mountImage({ image: 'docker://example.com/x:y', dest: d, scratch: scratch() })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_IMAGE' });
    // A missing layer blob.
    const blob = join(layout(), 'blobs/sha256', built.layers[1].digest.slice(7));
    const saved = readFileSync(blob);
    rmSync(blob);
    try {
      expect(await code('demo')).toBe('ERR_ATOMFS_BAD_IMAGE');
    } finally {
      require('node:fs').writeFileSync(blob, saved);
    }
    expect(mountsUnder(t.dir)).toEqual([]);
  });
});
