import { cpSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LayoutStore, MediaType, fsck, gc, sha256Digest } from '@mos/oci-store';
import { buildArtifact, buildImage } from '../helpers/image';
import { run } from '../helpers/run';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const blobSet = (dir: string) => readdirSync(join(dir, 'blobs', 'sha256')).sort();

/** A layout with every kind of root and garbage gc must tell apart. */
async function messyLayout(dir: string) {
  const s = await LayoutStore.open(dir, { create: true });
  const tagged = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
  await s.tag(tagged.manifest, 'v1');
  await s.tag(tagged.manifest, `sha256:${tagged.manifest.digest.slice(7)}`);
  const untagged = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
  await s.addRoot(untagged.manifest);
  const inIndex = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
  const idx = await s.pushJson({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [inIndex.manifest] }, MediaType.ImageIndex);
  await s.tag(idx, 'multi');
  const sig = await buildArtifact(s, tagged.manifest, MediaType.MachineSignature);
  await s.addRoot(sig);
  const garbage = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip }); // never rooted
  const retagged = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
  await s.tag(retagged.manifest, 'moving');
  await s.tag(untagged.manifest, 'moving'); // retagged's blobs become garbage
  await s.ingest(randomBytes(300), 'application/octet-stream'); // a stray blob
  const onlySubject = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip }); // kept alive only by a referrer
  await s.addRoot(await buildArtifact(s, onlySubject.manifest, MediaType.MachinePubkeyCrt));
  return { s, tagged, untagged, inIndex, sig, garbage, retagged, onlySubject };
}

describe('gc', () => {
  it('keepRoot: rejected index entries stop being roots (reported in a dry run, dropped for real), the rest stays', async () => {
    const dir = dirs.make();
    const s = await LayoutStore.open(dir, { create: true });
    const keep = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
    const drop = await buildImage(s, { layerMediaType: MediaType.LayerTarGzip });
    await s.tag(keep.manifest, 'keep');
    await s.tag(drop.manifest, 'drop');
    const keepRoot = (d: { annotations?: Record<string, string> }) => d.annotations?.['org.opencontainers.image.ref.name'] !== 'drop';
    const before = blobSet(dir);
    const dry = await gc(s, { dryRun: true, keepRoot });
    expect(dry.droppedRoots.map((d) => d.digest)).toEqual([drop.manifest.digest]);
    expect(dry.removed).toContain(drop.manifest.digest);
    expect(blobSet(dir)).toEqual(before);
    expect(await s.tags()).toEqual(['drop', 'keep']);
    const real = await gc(s, { keepRoot });
    expect(real.removed).toEqual(dry.removed);
    expect(await s.tags()).toEqual(['keep']);
    expect((await fsck(s)).problems).toEqual([]);
  });

  it('leaves the same blobs as umoci gc on a copy of the same layout', async () => {
    const root = dirs.make();
    const a = join(root, 'a');
    const { s, garbage, retagged, tagged, onlySubject } = await messyLayout(a);
    cpSync(a, join(root, 'b'), { recursive: true });
    const dry = await gc(s, { dryRun: true });
    expect(blobSet(a)).toHaveLength(dry.kept + dry.removed.length);
    const r = await gc(s);
    run('umoci', ['gc', '--layout', join(root, 'b')]);
    expect(blobSet(a)).toEqual(blobSet(join(root, 'b')));
    expect(r.removed).toEqual(dry.removed);
    expect(r.removed).toEqual(expect.arrayContaining([garbage.manifest.digest, ...garbage.layers.map((l) => l.digest), retagged.manifest.digest]));
    expect(blobSet(a)).toEqual(expect.arrayContaining([tagged.manifest.digest.slice(7), ...tagged.layers.map((l) => l.digest.slice(7))]));
    expect(blobSet(a)).toEqual(expect.arrayContaining([onlySubject.manifest.digest.slice(7), ...onlySubject.layers.map((l) => l.digest.slice(7))]));
    expect((await fsck(s)).ok).toBe(true);
  });

  it('--dry-run removes nothing', async () => {
    const { s } = await messyLayout(join(dirs.make(), 'l'));
    const before = blobSet(s.dir);
    const r = await gc(s, { dryRun: true });
    expect(r.removed.length).toBeGreaterThan(0);
    expect(blobSet(s.dir)).toEqual(before);
  });

  it('an artifact root keeps its subject alive even when the subject is untagged', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const img = await buildImage(s);
    const sig = await buildArtifact(s, img.manifest, MediaType.MachineSignature);
    await s.addRoot(sig);
    await gc(s);
    expect(await s.exists(img.manifest)).toBe(true);
    for (const l of img.layers) expect(await s.exists(l)).toBe(true);
  });

  it('removes leftovers of a crashed import and waits for a running one (store lock)', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    mkdirSync(s.uploadsDir, { recursive: true });
    writeFileSync(join(s.uploadsDir, 'blob-deadbeef'), 'partial');
    const batch = await s.batch();
    const b = Buffer.from('staged');
    const d = { mediaType: 'a/b', digest: sha256Digest(b), size: b.length };
    await batch.push(d, b);
    let gcDone = false;
    const g = gc(s).then((r) => ((gcDone = true), r));
    await new Promise((r) => setTimeout(r, 100));
    expect(gcDone).toBe(false); // blocked by the import's shared lock
    await batch.tag(d, 'kept');
    await batch.commit();
    const r = await g;
    expect(r.staleUploads).toBe(1);
    expect(await s.exists(d)).toBe(true);
    expect(existsSync(join(s.uploadsDir, 'blob-deadbeef'))).toBe(false);
  });
});

describe('fsck', () => {
  it('names a corrupted blob; --repair removes it', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const img = await buildImage(s);
    await s.tag(img.manifest, 'v1');
    expect(await fsck(s)).toEqual({ ok: true, blobs: 4, problems: [], repaired: [] });
    const victim = img.layers[1];
    const p = s.blobPath(victim.digest);
    const bytes = Buffer.from(img.blobs.get(victim.digest)!);
    bytes[10] ^= 1;
    writeFileSync(p, bytes);
    const r = await fsck(s);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'corrupt', digest: victim.digest, path: p })]);
    const fixed = await fsck(s, { repair: true });
    expect(fixed.repaired).toEqual([victim.digest]);
    expect(existsSync(p)).toBe(false);
    expect((await fsck(s)).problems).toEqual([expect.objectContaining({ kind: 'missing', digest: victim.digest, referencedBy: img.manifest.digest })]);
  });

  it('reports missing referenced blobs, stray files and unparsable manifests', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const img = await buildImage(s);
    await s.tag(img.manifest, 'v1');
    const bad = await s.ingest(Buffer.from('not json'), MediaType.ImageManifest);
    await s.tag(bad, 'bad');
    writeFileSync(join(s.dir, 'blobs', 'sha256', 'junk'), 'x');
    require('node:fs').rmSync(s.blobPath(img.config.digest));
    const kinds = (await fsck(s)).problems.map((p) => p.kind).sort();
    expect(kinds).toEqual(['invalid-manifest', 'missing', 'stray']);
  });
});
