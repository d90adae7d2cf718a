import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MediaType, sha256Digest, type Descriptor, type ReferrerLister, type Store, type TagLister, type TagResolver, type Tagger } from '@mos/oci-store';
import { buildArtifact, buildImage } from '../helpers/image';

type Full = Store & TagResolver & Tagger & TagLister & ReferrerLister;

async function bytesOf(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

const isNotFound = (e: unknown) =>
  (e as { code?: string }).code === 'ERR_OCI_NOT_FOUND' || (e as { notFound?: boolean }).notFound === true;

/**
 * The store contract every implementation passes (unstorage's `testDriver` pattern): the same
 * expectations for MemoryStore, LayoutStore and RemoteRepository against our server and
 * docker-registry. `make` returns a fresh, empty store.
 */
export function describeStore(name: string, make: () => Promise<Full>) {
  describe(`store contract: ${name}`, () => {
    let store: Full;
    beforeEach(async () => {
      store = await make();
    });

    it('push then fetch returns the same bytes; exists turns true', async () => {
      const b = randomBytes(70_000);
      const d: Descriptor = { mediaType: MediaType.LayerTarGzip, digest: sha256Digest(b), size: b.length };
      expect(await store.exists(d)).toBe(false);
      await store.push(d, Readable.from([b.subarray(0, 1000), b.subarray(1000)]));
      expect(await store.exists(d)).toBe(true);
      expect(await bytesOf(await store.fetch(d))).toEqual(b);
    });

    it('push is idempotent', async () => {
      const b = randomBytes(100);
      const d: Descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(b), size: b.length };
      await store.push(d, b);
      await store.push(d, b);
      expect(await store.exists(d)).toBe(true);
    });

    it('wrong content is rejected and nothing is stored', async () => {
      const b = randomBytes(5000);
      const d: Descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(b), size: b.length };
      const wrong = Buffer.from(b);
      wrong[0] ^= 1;
      await expect(store.push(d, Readable.from([wrong]))).rejects.toBeTruthy();
      expect(await store.exists(d)).toBe(false);
    });

    it('fetch of an absent blob is a not-found error', async () => {
      const b = randomBytes(10);
      const e = await store.fetch({ mediaType: 'application/octet-stream', digest: sha256Digest(b), size: 10 }).catch((x) => x);
      expect(isNotFound(e)).toBe(true);
    });

    it('tag and resolve; tags lists it; re-tag moves it', async () => {
      const a = await buildImage(store, { layers: 1 });
      const b = await buildImage(store, { layers: 1 });
      await store.tag(a.manifest, 'one');
      expect((await store.resolve('one')).digest).toBe(a.manifest.digest);
      await store.tag(b.manifest, 'one');
      expect((await store.resolve('one')).digest).toBe(b.manifest.digest);
      expect(await store.tags()).toContain('one');
    });

    it('referrers of a manifest, filtered by artifactType', async () => {
      const img = await buildImage(store, { layers: 1 });
      await store.tag(img.manifest, 'subject');
      const sig = await buildArtifact(store, img.manifest, MediaType.MachineSignature);
      const crt = await buildArtifact(store, img.manifest, MediaType.MachinePubkeyCrt);
      const rooter = store as unknown as { addRoot?: (d: Descriptor) => Promise<void> };
      await rooter.addRoot?.(sig);
      await rooter.addRoot?.(crt);
      expect((await store.referrers(img.manifest)).map((d) => d.digest).sort()).toEqual([sig.digest, crt.digest].sort());
      expect((await store.referrers(img.manifest, { artifactType: MediaType.MachineSignature })).map((d) => [d.digest, d.artifactType])).toEqual([[sig.digest, MediaType.MachineSignature]]);
    });
  });
}
