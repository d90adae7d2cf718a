import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LayoutStore, MediaType, OciStoreError, sha256Digest, type Descriptor } from '@mos/oci-store';
import { tempDirs } from '../helpers/tmp';
import { buildImage } from '../helpers/image';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const blob = (s: string, mediaType = 'application/octet-stream'): [Descriptor, Buffer] => {
  const b = Buffer.from(s);
  return [{ mediaType, digest: sha256Digest(b), size: b.length }, b];
};

async function drain(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as OciStoreError).code;
  }
  return 'no error';
}

/** Every file under blobs/ (nothing partial may ever be there). */
function blobFiles(dir: string): string[] {
  const out: string[] = [];
  for (const alg of readdirSync(join(dir, 'blobs'))) for (const f of readdirSync(join(dir, 'blobs', alg))) out.push(`${alg}/${f}`);
  return out.sort();
}

describe('LayoutStore.open', () => {
  it('creates oci-layout, index.json and blobs/ in the compact form', async () => {
    const d = dirs.make();
    const s = await LayoutStore.open(join(d, 'l'), { create: true });
    expect(readFileSync(join(s.dir, 'oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}');
    expect(JSON.parse(readFileSync(join(s.dir, 'index.json'), 'utf8'))).toEqual({ schemaVersion: 2, manifests: [] });
    expect(existsSync(join(s.dir, 'blobs', 'sha256'))).toBe(true);
  });

  it('refuses a directory that is not a layout without create', async () => {
    expect(await codeOf(LayoutStore.open(dirs.make()))).toBe('ERR_OCI_INVALID_LAYOUT');
  });

  it('accepts "manifests": null and skopeo\'s spaced oci-layout', async () => {
    const d = dirs.make();
    mkdirSync(join(d, 'blobs'));
    writeFileSync(join(d, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    writeFileSync(join(d, 'index.json'), '{"schemaVersion":2,"manifests":null}');
    const s = await LayoutStore.open(d);
    expect((await s.index()).manifests).toEqual([]);
    expect(await s.tags()).toEqual([]);
  });

  it('rejects a malformed index.json', async () => {
    const d = dirs.make();
    mkdirSync(join(d, 'blobs'));
    writeFileSync(join(d, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(d, 'index.json'), '{"schemaVersion":2,"manifests":[{"digest":"sha256:zz"}]}');
    expect(await codeOf(LayoutStore.open(d))).toBe('ERR_OCI_INVALID_LAYOUT');
  });
});

describe('blobs', () => {
  it('push then fetch round-trips, exists is true, blobPath names the file', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d, b] = blob('hello');
    await s.push(d, b);
    expect(await s.exists(d)).toBe(true);
    expect(readFileSync(s.blobPath(d.digest))).toEqual(b);
    expect(await drain(await s.fetch(d))).toEqual(b);
    expect(s.blobPath(d.digest)).toBe(join(s.dir, 'blobs', 'sha256', d.digest.slice(7)));
  });

  it('push of a stream with the wrong digest fails and stores nothing', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d] = blob('hello');
    const e = await s.push(d, Readable.from([Buffer.from('hellO')])).catch((x) => x);
    expect(e.code).toBe('ERR_OCI_DIGEST_MISMATCH');
    expect(e.details.expected).toBe(d.digest);
    expect(blobFiles(s.dir)).toEqual([]);
    expect(readdirSync(s.uploadsDir)).toEqual([]);
  });

  it('push with too many or too few bytes fails with ERR_OCI_SIZE_MISMATCH', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d] = blob('hello');
    expect(await codeOf(s.push(d, Buffer.from('hello!')))).toBe('ERR_OCI_SIZE_MISMATCH');
    expect(await codeOf(s.push(d, Buffer.from('hell')))).toBe('ERR_OCI_SIZE_MISMATCH');
    expect(blobFiles(s.dir)).toEqual([]);
  });

  it('push is idempotent and does not rewrite an existing blob', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d, b] = blob('same');
    await s.push(d, b);
    const { mtimeMs, ino } = require('node:fs').statSync(s.blobPath(d.digest));
    await s.push(d, b);
    const st = require('node:fs').statSync(s.blobPath(d.digest));
    expect([st.mtimeMs, st.ino]).toEqual([mtimeMs, ino]);
  });

  it('ingest computes the digest while writing', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const d = await s.ingest(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 'application/x-test', { a: 'b' });
    expect(d).toEqual({ mediaType: 'application/x-test', digest: sha256Digest('abcd'), size: 4, annotations: { a: 'b' } });
    expect(await s.exists(d)).toBe(true);
  });

  it('pushJson writes Go-compatible bytes', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const d = await s.pushJson({ b: 1, a: '<x>' }, 'application/json');
    expect(readFileSync(s.blobPath(d.digest), 'utf8')).toBe('{"a":"\\u003cx\\u003e","b":1}');
  });

  it('fetch of a corrupted blob fails with a mismatch instead of ending cleanly', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d, b] = blob('content');
    await s.push(d, b);
    writeFileSync(s.blobPath(d.digest), 'CONTENT');
    expect(await codeOf(drain(await s.fetch(d)))).toBe('ERR_OCI_DIGEST_MISMATCH');
    writeFileSync(s.blobPath(d.digest), 'short');
    expect(await codeOf(s.fetch(d))).toBe('ERR_OCI_SIZE_MISMATCH');
  });

  it('fetch of a missing blob is ERR_OCI_NOT_FOUND; embedded data is served', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d] = blob('{}');
    expect(await codeOf(s.fetch(d))).toBe('ERR_OCI_NOT_FOUND');
    expect((await drain(await s.fetch({ ...d, data: 'e30=' }))).toString()).toBe('{}');
  });

  it('fetchJson is verified and size-capped', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const d = await s.pushJson({ x: 1 }, 'application/json');
    expect(await s.fetchJson(d)).toEqual({ x: 1 });
    expect(await codeOf(s.fetchJson(d, 3))).toBe('ERR_OCI_TOO_LARGE');
  });

  it('hostile digests never become paths', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    for (const digest of ['sha256:../../etc/passwd', 'sha256:' + 'A'.repeat(64), 'md5:abc', 'sha256:' + 'a'.repeat(63) + '\0', '../x']) {
      expect(() => s.blobPath(digest)).toThrow(expect.objectContaining({ code: 'ERR_OCI_INVALID_DIGEST' }));
      expect(await codeOf(s.push({ mediaType: 'a/b', digest, size: 1 }, Buffer.from('x')))).toBe('ERR_OCI_INVALID_DIGEST');
    }
  });

  it('a failed batch leaves nothing visible', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const [d1, b1] = blob('one');
    const [d2] = blob('two');
    const e = await s.withBatch(async (b) => {
      await b.push(d1, b1);
      await b.tag(d1, 'x');
      await b.push(d2, Buffer.from('TWO'));
    }).catch((x) => x);
    expect(e.code).toBe('ERR_OCI_DIGEST_MISMATCH');
    expect(blobFiles(s.dir)).toEqual([]);
    expect((await s.index()).manifests).toEqual([]);
    expect(readdirSync(s.uploadsDir)).toEqual([]);
    expect(readdirSync(join(s.dir, '.locks')).filter((n) => !n.startsWith('tmp.'))).toEqual([]);
  });
});

describe('tags', () => {
  it('tag/resolve with sha256:<hex> tags, several tags per digest, exact match', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const img = await buildImage(s);
    const t = `sha256:${img.manifest.digest.slice(7)}`;
    await s.tag(img.manifest, t);
    await s.tag(img.manifest, 'v1');
    expect((await s.resolve(t)).digest).toBe(img.manifest.digest);
    expect((await s.resolve('v1')).digest).toBe(img.manifest.digest);
    expect(await s.tags()).toEqual([t, 'v1'].sort());
    expect(await codeOf(s.resolve('V1'))).toBe('ERR_OCI_TAG_NOT_FOUND');
    expect(await codeOf(s.resolve('v'))).toBe('ERR_OCI_TAG_NOT_FOUND');
  });

  it('re-tagging moves the tag; tagging the same thing twice changes nothing', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    const b = await buildImage(s);
    await s.tag(a.manifest, 'v1');
    const before = readFileSync(join(s.dir, 'index.json'), 'utf8');
    await s.tag(a.manifest, 'v1');
    expect(readFileSync(join(s.dir, 'index.json'), 'utf8')).toBe(before);
    await s.tag(b.manifest, 'v1');
    expect((await s.resolve('v1')).digest).toBe(b.manifest.digest);
    expect((await s.index()).manifests).toHaveLength(1);
  });

  it('an ambiguous tag in a foreign index.json is a typed error', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    const b = await buildImage(s);
    const ref = { 'org.opencontainers.image.ref.name': 'dup' };
    writeFileSync(join(s.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...a.manifest, annotations: ref }, { ...b.manifest, annotations: ref }] }));
    expect(await codeOf(s.resolve('dup'))).toBe('ERR_OCI_AMBIGUOUS_TAG');
  });

  it('rejects hostile or ungrammatical tags', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    for (const t of ['', '../x', '/abs', 'a\0b', 'a b', 'x/']) expect(await codeOf(s.tag(a.manifest, t))).toBe('ERR_OCI_INVALID_NAME');
  });

  it('untagged roots and untag', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    await s.addRoot(a.manifest);
    await s.addRoot(a.manifest);
    expect((await s.index()).manifests).toEqual([a.manifest]);
    await s.tag(a.manifest, 'v1');
    expect((await s.index()).manifests).toHaveLength(1);
    await s.untag('v1');
    expect((await s.index()).manifests).toEqual([]);
  });

  it('concurrent tag writers never lose an update', async () => {
    const s = await LayoutStore.open(dirs.make(), { create: true });
    const a = await buildImage(s);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.tag(a.manifest, `t${i}`)));
    expect(await s.tags()).toHaveLength(20);
  });
});

describe('MediaType', () => {
  it('has the OCI strings', () => {
    expect(MediaType.ImageManifest).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(MediaType.Empty).toBe('application/vnd.oci.empty.v1+json');
  });
});
