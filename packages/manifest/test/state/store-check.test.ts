import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore, MediaType, type Descriptor } from '@mos/oci-store';
import { ImageVerifyFailedError, storeDir, storeTargetCheck, type Target, type VerifiedTarget } from '@mos/manifest';

let root: string;
let store: LayoutStore;
let image: Descriptor;
let layer: Descriptor;

/** An image in the root's store, tagged with its own digest as mos does. */
async function addImage(content: string): Promise<{ image: Descriptor; layer: Descriptor }> {
  const layer = await store.ingest(Buffer.from(content), 'application/vnd.stacker.image.layer.squashfs+zstd+verity');
  const config = await store.pushJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }, MediaType.ImageConfig);
  const image = await store.pushJson({ schemaVersion: 2, mediaType: MediaType.ImageManifest, config, layers: [layer] }, MediaType.ImageManifest);
  await store.tag(image, image.digest);
  return { image, layer };
}

const target = (over: Partial<Target> = {}): VerifiedTarget => ({
  name: 'hostfs',
  install: 'f'.repeat(64),
  target: {
    service_name: 'hostfs', version: '1', service_type: 'hostfs', nsgroup: '', storage: [],
    network: { type: 'host', ipv4: '', ipv6: '', ports: [] },
    digest: image.digest, size: image.size, ...over,
  },
});

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'mos-store-check-'));
  store = await LayoutStore.open(storeDir(root), { create: true });
  ({ image, layer } = await addImage('layer one'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('storeTargetCheck', () => {
  test('passes for an image tagged with its digest, of the pinned size, with every blob present', async () => {
    await expect((await storeTargetCheck(root))(target())).resolves.toBeUndefined();
  });

  test('an image that is not in the store', async () => {
    const check = await storeTargetCheck(root);
    const err = await Promise.resolve(check(target({ digest: 'sha256:' + '0'.repeat(64) }))).catch((e) => e);
    expect(err).toBeInstanceOf(ImageVerifyFailedError);
    expect(err).toMatchObject({ code: 'ERR_MANIFEST_IMAGE_VERIFY_FAILED', target: 'hostfs' });
  });

  test('a size other than the pinned one', async () => {
    await expect(Promise.resolve((await storeTargetCheck(root))(target({ size: image.size + 1 })))).rejects.toThrow(/size/);
  });

  test('a tag that names a different image than its digest says', async () => {
    const other = await addImage('layer two');
    await store.tag(other.image, image.digest); // retag: sha256:<image> now names the other manifest
    await expect(Promise.resolve((await storeTargetCheck(root))(target()))).rejects.toThrow(/names image|resolves to/);
  });

  test('a missing layer blob', async () => {
    rmSync(store.blobPath(layer.digest));
    await expect(Promise.resolve((await storeTargetCheck(root))(target()))).rejects.toThrow(/incomplete|missing/);
  });

  test('no store at all', async () => {
    rmSync(storeDir(root), { recursive: true });
    await expect(Promise.resolve((await storeTargetCheck(root))(target()))).rejects.toThrow(/no image store/);
  });
});
