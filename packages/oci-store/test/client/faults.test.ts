// Resilience: a fault-injecting proxy owned by the test sits between our client and a real
// docker-registry. Every pull either completes with a correct store or fails cleanly with
// nothing partial visible in the destination layout.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, copy, fsck } from '@mos/oci-store';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry';
import { startFaultProxy, type FaultPlan } from '../helpers/fault-proxy';
import { buildImage } from '../helpers/image';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
let reg: DockerRegistry;
let digest: string;
let blobs: string[];
const fast = { baseDelayMs: 5, maxDelayMs: 50, retries: 4 };

beforeAll(async () => {
  reg = await startDockerRegistry();
  const dir = join(dirs.make(), 'src');
  const s = await LayoutStore.open(dir, { create: true });
  const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity, layers: 3, layerSize: 3 << 20 });
  await s.tag(img.manifest, 'v1');
  await copy(`oci:${dir}:v1`, `docker://${reg.host}/faults/img:v1`);
  digest = img.manifest.digest;
  blobs = img.layers.map((l) => l.digest);
});
afterAll(async () => {
  await reg?.stop();
  dirs.cleanup();
});

const isBlobGet = (r: { method: string; path: string }) => r.method === 'GET' && r.path.includes('/blobs/sha256:');

async function pullThrough(plan: FaultPlan) {
  const proxy = await startFaultProxy(reg.host, plan);
  const dst = join(dirs.make(), 'dst');
  try {
    const result = await copy(`docker://${proxy.host}/faults/img:v1`, `oci:${dst}:v1`, fast).catch((e) => e);
    return { result, dst, requests: proxy.requests };
  } finally {
    await proxy.stop();
  }
}

async function assertComplete(dst: string) {
  const store = await LayoutStore.open(dst);
  expect((await store.resolve('v1')).digest).toBe(digest);
  const report = await fsck(store);
  expect(report.problems).toEqual([]);
  for (const b of blobs) expect(existsSync(store.blobPath(b))).toBe(true);
  expect(readdirSync(store.uploadsDir)).toEqual([]);
}

/** Nothing partial: no tag, no blob files, no staging leftovers. */
async function assertNothing(dst: string) {
  if (!existsSync(join(dst, 'oci-layout'))) return;
  const store = await LayoutStore.open(dst);
  expect((await store.index()).manifests).toEqual([]);
  expect(readdirSync(join(dst, 'blobs', 'sha256'))).toEqual([]);
  expect(existsSync(store.uploadsDir) ? readdirSync(store.uploadsDir) : []).toEqual([]);
}

describe('pull through a faulty network', () => {
  it('connection resets on the first try of every request: retried, complete', async () => {
    const { result, dst, requests } = await pullThrough(({ n }) => (n === 0 ? { kind: 'reset' } : { kind: 'pass' }));
    expect(result.manifest?.digest).toBe(digest);
    expect(requests.some((r) => r.fault === 'reset')).toBe(true);
    await assertComplete(dst);
  });

  it('500 and 429 (Retry-After) answers: retried with backoff, complete', async () => {
    const { result, dst, requests } = await pullThrough(({ n, path }) =>
      n === 0 ? { kind: 'status', status: path.includes('/blobs/') ? 429 : 500, retryAfter: '0' } : n === 1 && path.includes('/blobs/') ? { kind: 'status', status: 503 } : { kind: 'pass' });
    expect(result.manifest?.digest).toBe(digest);
    expect(requests.filter((r) => r.fault === 'status').length).toBeGreaterThanOrEqual(4);
    await assertComplete(dst);
  });

  it('truncated blob bodies: resumed with Range, whole digest re-verified, complete', async () => {
    const { result, dst, requests } = await pullThrough((r) => (isBlobGet(r) && r.n === 0 && !r.range ? { kind: 'truncate', fraction: 0.4 } : { kind: 'pass' }));
    expect(result.manifest?.digest).toBe(digest);
    const resumed = requests.filter((r) => isBlobGet(r) && r.range);
    expect(resumed.length).toBeGreaterThanOrEqual(3);
    for (const r of resumed) expect(r.range).toMatch(/^bytes=[1-9]\d*-$/);
    await assertComplete(dst);
  });

  it('a body that stalls mid-way: the idle timeout fires, the rest is fetched with Range', async () => {
    const proxy = await startFaultProxy(reg.host, (r) => (isBlobGet(r) && r.n === 0 && !r.range ? { kind: 'stall', fraction: 0.5 } : { kind: 'pass' }));
    const dst = join(dirs.make(), 'stall');
    try {
      const r = await copy(`docker://${proxy.host}/faults/img:v1`, `oci:${dst}:v1`, { ...fast, idleTimeoutMs: 300 });
      expect(r.manifest.digest).toBe(digest);
      expect(proxy.requests.filter((x) => isBlobGet(x) && x.range).length).toBeGreaterThanOrEqual(3);
    } finally {
      await proxy.stop();
    }
    await assertComplete(dst);
  });

  it('slow bodies: complete', async () => {
    const { result, dst } = await pullThrough((r) => (isBlobGet(r) ? { kind: 'slow', chunk: 256 << 10, delayMs: 2 } : { kind: 'pass' }));
    expect(result.manifest?.digest).toBe(digest);
    await assertComplete(dst);
  });

  it('a registry that keeps cutting blob downloads: the pull fails cleanly, nothing visible', async () => {
    const { result, dst } = await pullThrough((r) => (isBlobGet(r) ? { kind: 'truncate', fraction: 0 } : { kind: 'pass' }));
    expect(result).toMatchObject({ code: 'ERR_OCI_COPY_FAILED', origin: 'source' });
    await assertNothing(dst);
  });

  it('a server that sends wrong bytes: rejected with a digest mismatch, nothing stored', async () => {
    const { result, dst } = await pullThrough((r) => (isBlobGet(r) && r.path.endsWith(blobs[1]) ? { kind: 'corrupt' } : { kind: 'pass' }));
    expect(result).toMatchObject({ code: 'ERR_OCI_COPY_FAILED', origin: 'source' });
    expect(result.cause).toMatchObject({ code: 'ERR_OCI_DIGEST_MISMATCH' });
    await assertNothing(dst);
  });

  it('a failed re-pull into an existing layout leaves its previous content and tags intact', async () => {
    const dst = join(dirs.make(), 'keep');
    const ok = await startFaultProxy(reg.host, () => ({ kind: 'pass' }));
    await copy(`docker://${ok.host}/faults/img:v1`, `oci:${dst}:old`, fast);
    await ok.stop();
    const before = readdirSync(join(dst, 'blobs', 'sha256')).sort();
    const bad = await startFaultProxy(reg.host, (r) => (isBlobGet(r) ? { kind: 'corrupt' } : { kind: 'pass' }));
    try {
      // Corrupt one blob on disk and re-pull with verification, from a server sending wrong bytes.
      const store = await LayoutStore.open(dst);
      require('node:fs').writeFileSync(store.blobPath(blobs[0]), 'garbage');
      const r = await copy(`docker://${bad.host}/faults/img:v1`, `oci:${dst}:new`, { ...fast, verifyExisting: true }).catch((e) => e);
      expect(r).toMatchObject({ code: 'ERR_OCI_COPY_FAILED' });
      expect(await store.tags()).toEqual(['old']);
      expect(readdirSync(join(dst, 'blobs', 'sha256')).sort()).toEqual(before);
    } finally {
      await bad.stop();
    }
  });

  it('a re-pull with verifyExisting from a good server replaces a corrupt blob', async () => {
    const dst = join(dirs.make(), 'repair');
    const ok = await startFaultProxy(reg.host, () => ({ kind: 'pass' }));
    try {
      await copy(`docker://${ok.host}/faults/img:v1`, `oci:${dst}:v1`, fast);
      const store = await LayoutStore.open(dst);
      const victim = store.blobPath(blobs[2]);
      const bytes = require('node:fs').readFileSync(victim);
      bytes[5] ^= 1;
      require('node:fs').writeFileSync(victim, bytes);
      expect((await fsck(store)).problems).toEqual([expect.objectContaining({ kind: 'corrupt', digest: blobs[2] })]);
      await copy(`docker://${ok.host}/faults/img:v1`, `oci:${dst}:v1`, { ...fast, verifyExisting: true });
      await assertComplete(dst);
    } finally {
      await ok.stop();
    }
  });

  it('a push through resets and 503s on uploads retries and completes with digests preserved', async () => {
    let resets = 0; // the first two blob PUTs (of different uploads) are cut
    const proxy = await startFaultProxy(reg.host, ({ method, path, n }) =>
      method === 'PUT' && path.includes('/blobs/uploads/') && resets++ < 2 ? { kind: 'reset' } : method === 'POST' && n === 0 ? { kind: 'status', status: 503 } : { kind: 'pass' });
    try {
      const src = join(dirs.make(), 'pushsrc');
      await copy(`docker://${reg.host}/faults/img:v1`, `oci:${src}:v1`, fast);
      const r = await copy(`oci:${src}:v1`, `docker://${proxy.host}/faults/pushed:v1`, { ...fast, monolithicMax: 0 });
      expect(r.manifest.digest).toBe(digest);
      expect(proxy.requests.filter((x) => x.fault === 'reset')).toHaveLength(2);
      expect(proxy.requests.filter((x) => x.fault === 'status')).toHaveLength(1);
      const back = join(dirs.make(), 'pushback');
      expect((await copy(`docker://${reg.host}/faults/pushed:v1`, `oci:${back}:v1`, fast)).manifest.digest).toBe(digest);
    } finally {
      await proxy.stop();
    }
  });
});
