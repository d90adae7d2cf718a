// Our registry server, checked by skopeo (a third-party client) and by our client.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, RegistryClient, RemoteRepository, copy, fsck } from '@mos/oci-store';
import { buildArtifact, buildImage } from '../helpers/image';
import { startOurServer } from '../helpers/our-server';
import { run } from '../helpers/run';
import { skopeoCopy } from '../helpers/skopeo';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
let srv: Awaited<ReturnType<typeof startOurServer>>;
beforeAll(async () => {
  srv = await startOurServer();
});
afterAll(async () => {
  await srv?.stop();
});
afterEach(() => dirs.cleanup());

async function layoutWithImage() {
  const dir = join(dirs.make(), 'src');
  const s = await LayoutStore.open(dir, { create: true });
  const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity, layers: 3, layerSize: 200_000 });
  await s.tag(img.manifest, 'v1');
  return { dir, s, img };
}

describe('our registry server', () => {
  it('skopeo pushes into it and pulls out of it with digests preserved; the stored repo is a valid layout', async () => {
    const { dir, img } = await layoutWithImage();
    await skopeoCopy(`oci:${dir}:v1`, `docker://${srv.host}/mos:${img.manifest.digest.slice(7)}`);
    const out = join(dirs.make(), 'out');
    await skopeoCopy(`docker://${srv.host}/mos:${img.manifest.digest.slice(7)}`, `oci:${out}:sha256:${img.manifest.digest.slice(7)}`);
    expect((await (await LayoutStore.open(out)).resolve(`sha256:${img.manifest.digest.slice(7)}`)).digest).toBe(img.manifest.digest);
    // zot-compatible storage: <root>/mos is a layout umoci and our fsck accept.
    const stored = await LayoutStore.open(join(srv.root, 'mos'));
    expect((await fsck(stored)).ok).toBe(true);
    expect(run('umoci', ['ls', '--layout', join(srv.root, 'mos')]).stdout.trim()).toBe(img.manifest.digest.slice(7));
  });

  it('our client pushes and pulls through it; catalog and tag pagination', async () => {
    const { dir, img } = await layoutWithImage();
    for (const t of ['a', 'b', 'c', 'd']) await copy(`oci:${dir}:v1`, `docker://${srv.host}/pag/repo:${t}`);
    const client = new RegistryClient(srv.host);
    const repo = new RemoteRepository(client, 'pag/repo');
    expect(await repo.tags({ pageSize: 3 })).toEqual(['a', 'b', 'c', 'd']);
    const res = await client.send({ method: 'GET', path: '/v2/_catalog?n=1', scopes: [] });
    expect(res.headers.link).toMatch(/rel="next"/);
    res.body.resume();
    const back = join(dirs.make(), 'back');
    const r = await copy(`docker://${srv.host}/pag/repo:c`, `oci:${back}:c`);
    expect(r.manifest.digest).toBe(img.manifest.digest);
    client.close();
  });

  it('referrers API: OCI-Subject on push, listing with and without artifactType filter', async () => {
    const { dir, s, img } = await layoutWithImage();
    const sig = await buildArtifact(s, img.manifest, MediaType.MachineSignature);
    const crt = await buildArtifact(s, img.manifest, MediaType.MachinePubkeyCrt);
    await s.addRoot(sig);
    await s.addRoot(crt);
    await copy(`oci:${dir}:v1`, `docker://${srv.host}/machine/install:1.0.0`, { referrers: true });
    const client = new RegistryClient(srv.host);
    const repo = new RemoteRepository(client, 'machine/install');
    expect((await repo.tags())).toEqual(['1.0.0']); // no fallback tag: the API exists
    const res = await client.send({ method: 'GET', path: `/v2/machine/install/referrers/${img.manifest.digest}?artifactType=${encodeURIComponent(MediaType.MachineSignature)}`, scopes: [] });
    expect(res.status).toBe(200);
    expect(res.headers['oci-filters-applied']).toBe('artifactType');
    res.body.resume();
    expect((await repo.referrers(img.manifest)).map((d) => d.digest).sort()).toEqual([sig.digest, crt.digest].sort());
    expect(await repo.referrers(img.manifest, { artifactType: MediaType.MachinePubkeyCrt })).toEqual([
      expect.objectContaining({ digest: crt.digest, artifactType: MediaType.MachinePubkeyCrt, mediaType: MediaType.ImageManifest }),
    ]);
    client.close();
  });

  it('refuses a manifest whose blobs are missing, and a body whose digest is wrong; nothing is stored', async () => {
    const client = new RegistryClient(srv.host);
    const repo = new RemoteRepository(client, 'bad/one');
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageManifest, config: { mediaType: MediaType.ImageConfig, digest: 'sha256:' + 'a'.repeat(64), size: 3 }, layers: [] }));
    const d = { mediaType: MediaType.ImageManifest, digest: 'sha256:' + createHash('sha256').update(m).digest('hex'), size: m.length };
    await expect(repo.pushManifest(d, m, 'x')).rejects.toMatchObject({ name: 'RegistryError', code: 'MANIFEST_BLOB_UNKNOWN', status: 400 });
    const res = await client.send({ method: 'POST', path: `/v2/bad/one/blobs/uploads/?digest=sha256:${'b'.repeat(64)}`, body: Buffer.from('xyz'), headers: { 'content-length': 3 }, scopes: [] });
    expect(res.status).toBe(400);
    res.body.resume();
    const layout = await LayoutStore.open(join(srv.root, 'bad', 'one'));
    expect((await layout.index()).manifests).toEqual([]);
    expect(await layout.blobSize('sha256:' + 'b'.repeat(64))).toBeUndefined();
    client.close();
  });

  it('a blob corrupted in the server\'s storage is not delivered as good (the response breaks)', async () => {
    const { dir, img } = await layoutWithImage();
    await copy(`oci:${dir}:v1`, `docker://${srv.host}/corrupt/me:v1`);
    const layer = img.layers[2];
    const path = join(srv.root, 'corrupt', 'me', 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = Buffer.from(img.blobs.get(layer.digest)!);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    const client = new RegistryClient(srv.host, { retries: 0 });
    const read = async () => {
      const res = await client.send({ method: 'GET', path: `/v2/corrupt/me/blobs/${layer.digest}`, scopes: [] });
      for await (const _ of res.body) void _;
    };
    await expect(read()).rejects.toBeTruthy(); // headers may or may not have gone out; the body never completes
    await expect(copy(`docker://${srv.host}/corrupt/me:v1`, `oci:${join(dirs.make(), 'x')}:v1`, { retries: 1, baseDelayMs: 1 })).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED' });
    client.close();
  });

  it('blob Range requests are answered with 206', async () => {
    const { dir, img } = await layoutWithImage();
    await copy(`oci:${dir}:v1`, `docker://${srv.host}/range/test:v1`);
    const client = new RegistryClient(srv.host);
    const layer = img.layers[0];
    const res = await client.send({ method: 'GET', path: `/v2/range/test/blobs/${layer.digest}`, headers: { range: 'bytes=10-19' }, scopes: [] });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 10-19/${layer.size}`);
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(img.blobs.get(layer.digest)!.subarray(10, 20));
    client.close();
  });
});

describe('uploads and deletes on our server', () => {
  it('chunked PATCH uploads (out-of-order chunk refused with 416), session status and cancel, DELETE of manifests and blobs', async () => {
    const { s, img } = await layoutWithImage();
    const client = new RegistryClient(srv.host);
    const repo = new RemoteRepository(client, 'chunks/repo', { chunkSize: 64 << 10 });
    const layer = img.layers[0];
    await repo.push(layer, await s.fetch(layer));
    expect(await repo.exists(layer)).toBe(true);

    const start = await client.send({ method: 'POST', path: '/v2/chunks/repo/blobs/uploads/', scopes: [] });
    expect(start.status).toBe(202);
    start.body.resume();
    const loc = new URL(start.headers.location!, `http://${srv.host}`);
    const bad = await client.send({ method: 'PATCH', path: loc, body: Buffer.from('abc'), headers: { 'content-range': '5-7', 'content-length': 3 }, scopes: [] });
    expect(bad.status).toBe(416);
    bad.body.resume();
    const ok = await client.send({ method: 'PATCH', path: loc, body: Buffer.from('abc'), headers: { 'content-range': '0-2', 'content-length': 3 }, scopes: [] });
    expect([ok.status, ok.headers.range]).toEqual([202, '0-2']);
    ok.body.resume();
    const status = await client.send({ method: 'GET', path: loc, scopes: [] });
    expect([status.status, status.headers.range]).toEqual([204, '0-2']);
    status.body.resume();
    const cancel = await client.send({ method: 'DELETE', path: loc, scopes: [] });
    expect(cancel.status).toBe(204);
    cancel.body.resume();
    const gone = await client.send({ method: 'GET', path: loc, scopes: [] });
    expect(gone.status).toBe(404);
    gone.body.resume();

    await copy(`oci:${s.dir}:v1`, `docker://${srv.host}/chunks/repo:v1`);
    await repo.delete({ ...img.manifest });
    await expect(repo.resolve('v1')).rejects.toMatchObject({ status: 404 });
    await repo.delete(img.layers[1]);
    expect(await repo.exists(img.layers[1])).toBe(false);
    client.close();
  });
});

describe('Basic auth (htpasswd) on our server', () => {
  it('anonymous is refused, wrong password refused, right password works (SHA, apr1, sha512-crypt entries)', async () => {
    const d = dirs.make();
    const ht = join(d, 'htpasswd');
    const apr = run('openssl', ['passwd', '-apr1', 'pw2']).stdout.trim();
    const sha512 = run('openssl', ['passwd', '-6', 'pw3']).stdout.trim();
    writeFileSync(ht, `u1:{SHA}${createHash('sha1').update('pw1').digest('base64')}\nu2:${apr}\nu3:${sha512}\n`);
    const auth = await startOurServer({ htpasswd: ht });
    try {
      const { dir } = await layoutWithImage();
      await expect(copy(`oci:${dir}:v1`, `docker://${auth.host}/secure:v1`)).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED' });
      await expect(copy(`oci:${dir}:v1`, `docker://${auth.host}/secure:v1`, { creds: 'u1:nope' })).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED' });
      for (const creds of ['u1:pw1', 'u2:pw2', 'u3:pw3']) {
        const r = await copy(`oci:${dir}:v1`, `docker://${auth.host}/secure:v1`, { creds });
        expect(r.manifest.mediaType).toBe(MediaType.ImageManifest);
      }
      // skopeo with credentials, too.
      const out = join(dirs.make(), 'o');
      await skopeoCopy(`docker://${auth.host}/secure:v1`, `oci:${out}:v1`, ['--src-creds', 'u2:pw2']);
    } finally {
      await auth.stop();
    }
  });
});
