// Our client against a real docker-registry 2.8 on loopback: push, pull, mount, tag
// pagination, the referrers tag fallback, and skopeo as the third party on the same registry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LayoutStore, MediaType, RegistryClient, RemoteRepository, copy, fsck, referrersTag, sha256Digest, type ProgressEvent,
} from '@mos/oci-store';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry';
import { buildArtifact, buildImage } from '../helpers/image';
import { skopeoCopy } from '../helpers/skopeo';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
let reg: DockerRegistry;
beforeAll(async () => {
  reg = await startDockerRegistry();
});
afterAll(async () => {
  await reg?.stop();
});
afterEach(() => dirs.cleanup());

async function layoutWithImage(opts: { layers?: number; layerSize?: number } = {}) {
  const dir = join(dirs.make(), 'src');
  const s = await LayoutStore.open(dir, { create: true });
  const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity, ...opts });
  await s.tag(img.manifest, 'v1');
  return { dir, s, img };
}

describe('client ↔ docker-registry', () => {
  it('push a layout image, pull it back into a new layout, digests preserved; skopeo agrees', async () => {
    const { dir, img } = await layoutWithImage({ layers: 3, layerSize: 300_000 });
    const events: ProgressEvent[] = [];
    const up = await copy(`oci:${dir}:v1`, `docker://${reg.host}/test/push:v1`, { onProgress: (e) => events.push(e) });
    expect(up.manifest.digest).toBe(img.manifest.digest);
    expect(up.copied).toBe(5);
    expect(events.filter((e) => e.phase === 'done').map((e) => e.digest).sort()).toEqual([...img.blobs.keys()].sort());
    expect(events.some((e) => e.phase === 'progress')).toBe(true);

    const dst = join(dirs.make(), 'dst');
    const down = await copy(`docker://${reg.host}/test/push:v1`, `oci:${dst}:sha256:${img.manifest.digest.slice(7)}`);
    expect(down.manifest.digest).toBe(img.manifest.digest);
    const store = await LayoutStore.open(dst);
    expect((await store.resolve(`sha256:${img.manifest.digest.slice(7)}`)).digest).toBe(img.manifest.digest);
    for (const [d, b] of img.blobs) expect(sha256Digest(readFileSync(store.blobPath(d)))).toBe(sha256Digest(b));
    expect((await fsck(store)).ok).toBe(true);

    // skopeo pulls what we pushed with the same digest, and we pull what skopeo pushed.
    const sk = join(dirs.make(), 'sk');
    await skopeoCopy(`docker://${reg.host}/test/push:v1`, `oci:${sk}:x`);
    expect((await (await LayoutStore.open(sk)).resolve('x')).digest).toBe(img.manifest.digest);
    await skopeoCopy(`oci:${dir}:v1`, `docker://${reg.host}/test/byskopeo:v2`);
    const again = join(dirs.make(), 'again');
    const r = await copy(`${reg.host}/test/byskopeo:v2`, `oci:${again}:v2`); // the original's bare form
    expect(r.manifest.digest).toBe(img.manifest.digest);
  });

  it('a second pull skips every blob already present; a second push skips too', async () => {
    const { dir } = await layoutWithImage();
    await copy(`oci:${dir}:v1`, `docker://${reg.host}/test/skip:v1`);
    const again = await copy(`oci:${dir}:v1`, `docker://${reg.host}/test/skip:v1`);
    expect(again.copied).toBe(1); // only the root manifest is PUT again under the tag
    const dst = join(dirs.make(), 'dst');
    await copy(`docker://${reg.host}/test/skip:v1`, `oci:${dst}:a`);
    const second = await copy(`docker://${reg.host}/test/skip:v1`, `oci:${dst}:b`);
    expect([second.copied, second.skipped]).toEqual([0, 4]);
  });

  it('cross-repo mount: a blob in one repository is mounted into another', async () => {
    const { dir, img } = await layoutWithImage({ layers: 1, layerSize: 2 << 20 });
    await copy(`oci:${dir}:v1`, `docker://${reg.host}/test/mount-a:v1`);
    const client = new RegistryClient(reg.host);
    const b = new RemoteRepository(client, 'test/mount-b', { mountFrom: ['test/mount-a'] });
    const layer = img.layers[0];
    const store = await LayoutStore.open(dir);
    await b.push(layer, await store.fetch(layer));
    expect(await b.exists(layer)).toBe(true);
    const mountLine = reg.log().split('\n').find((l) => l.includes('/v2/test/mount-b/blobs/uploads/?mount='));
    expect(mountLine).toMatch(/http.response.status=201/);
    client.close();
  });

  it('chunked upload (PATCH) of a large blob, then a verified download', async () => {
    const { dir, img, s } = await layoutWithImage({ layers: 1, layerSize: 5 << 20 });
    const client = new RegistryClient(reg.host);
    const repo = new RemoteRepository(client, 'test/chunked', { chunkSize: 1 << 20 });
    const layer = img.layers[0];
    await repo.push(layer, await s.fetch(layer));
    expect(await repo.exists(layer)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of await repo.fetch(layer)) chunks.push(c as Buffer);
    expect(sha256Digest(Buffer.concat(chunks))).toBe(layer.digest);
    expect(reg.log().split('\n').filter((l) => l.includes('method=PATCH') && l.includes('/v2/test/chunked/'))).toHaveLength(5);
    client.close();
    void dir;
  });

  it('tags/list pagination', async () => {
    const { dir } = await layoutWithImage({ layers: 1 });
    const names = Array.from({ length: 7 }, (_, i) => `t${i}`);
    for (const t of names) await copy(`oci:${dir}:v1`, `docker://${reg.host}/test/tags:${t}`);
    const client = new RegistryClient(reg.host);
    const repo = new RemoteRepository(client, 'test/tags');
    expect((await repo.tags({ pageSize: 2 })).sort()).toEqual(names);
    client.close();
  });

  it('referrers: no API on docker-registry, so the sha256-<hex> fallback index is written and read', async () => {
    const { dir, s, img } = await layoutWithImage({ layers: 1 });
    const sig = await buildArtifact(s, img.manifest, MediaType.MachineSignature);
    const crt = await buildArtifact(s, img.manifest, MediaType.MachinePubkeyCrt);
    await s.addRoot(sig);
    await s.addRoot(crt);
    const r = await copy(`oci:${dir}:v1`, `docker://${reg.host}/machine/install:1.0.0`, { referrers: true });
    expect(r.referrers.map((d) => d.digest).sort()).toEqual([sig.digest, crt.digest].sort());
    const client = new RegistryClient(reg.host);
    const repo = new RemoteRepository(client, 'machine/install');
    expect(await repo.tags()).toEqual(expect.arrayContaining([referrersTag(img.manifest.digest)]));
    const all = await repo.referrers(img.manifest);
    expect(all.map((d) => d.digest).sort()).toEqual([sig.digest, crt.digest].sort());
    const only = await repo.referrers(img.manifest, { artifactType: MediaType.MachineSignature });
    expect(only).toEqual([expect.objectContaining({ digest: sig.digest, artifactType: MediaType.MachineSignature })]);

    // Pull with referrers into a fresh layout: the layout finds them too.
    const dst = join(dirs.make(), 'dst');
    const down = await copy(`docker://${reg.host}/machine/install:1.0.0`, `oci:${dst}:install`, { referrers: true });
    expect(down.referrers).toHaveLength(2);
    const local = await LayoutStore.open(dst);
    expect((await local.referrers(img.manifest, { artifactType: MediaType.MachinePubkeyCrt })).map((d) => d.digest)).toEqual([crt.digest]);
    client.close();
  });

  it('a missing tag is a RegistryError with notFound', async () => {
    const client = new RegistryClient(reg.host);
    const repo = new RemoteRepository(client, 'test/none');
    await expect(repo.resolve('nope')).rejects.toMatchObject({ name: 'RegistryError', status: 404, notFound: true });
    client.close();
  });
});
