// Bad input is refused before or during mount with a typed error, and nothing stays mounted:
// flipped data and tree bytes, a wrong root hash, missing verity data, no root hash.
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildLayer, dumpVerity, formatVerity, mountMolecule, realSys, umountMolecule, verifyMounted, verityGeometry, type LayerSpec, type Sys } from '@mos/atomfs';
import { fakeSquashfs } from '../helpers/fixtures';
import { builtLayers } from '../helpers/layers';
import { forceCleanup, loopsUnder, mountsUnder } from '../helpers/mounts';
import { flipByte, sh, tempDir } from '../helpers/tmp';

async function dataByte(p: string): Promise<void> {
  flipByte(p, (await dumpVerity(p)).hashOffset - 70000);
}
async function treeByte(p: string): Promise<void> {
  const d = await dumpVerity(p);
  flipByte(p, verityGeometry({ dataBlocks: d.dataBlocks, hashOffset: d.hashOffset }).levelOffset[0] + 40);
}
function truncateTail(p: string): void {
  sh('truncate', ['-s', '-4096', p]);
}
const nothing = (): void => undefined;

describe('mount refusals (real)', () => {
  const t = tempDir();
  const scratch = (): string => join(t.dir, 'scratch');
  let L: Awaited<ReturnType<typeof builtLayers>>;
  let n = 0;
  beforeAll(async () => {
    L = await builtLayers(t.dir);
  });
  afterEach(() => expect(forceCleanup(t.dir)).toEqual([]));
  afterAll(() => {
    forceCleanup(t.dir);
    t.cleanup();
  });

  /** A copy of the base layer with a new id, damaged by `damage(path)`. */
  async function variant(damage: (path: string) => Promise<void> | void, extra: Partial<LayerSpec> = {}): Promise<LayerSpec> {
    const id = `bad-${++n}`;
    const path = join(t.dir, `${id}.sqfs`);
    copyFileSync(L.base.path, path);
    await damage(path);
    return { ...L.base, id, path, ...extra };
  }

  const nothingLeft = () => {
    expect(mountsUnder(t.dir)).toEqual([]);
    expect(loopsUnder(t.dir)).toEqual([]);
    expect(readdirSync(join(scratch(), 'layers'))).toEqual([]);
    expect(readdirSync(join(scratch(), 'molecules'))).toEqual([]);
  };

  it.each([
    ['a flipped data byte', dataByte, {}, 'ERR_ATOMFS_DATA_BLOCK_CORRUPT'],
    ['a flipped hash-tree byte', treeByte, {}, 'ERR_ATOMFS_HASH_BLOCK_CORRUPT'],
    ['a wrong root hash', nothing, { rootHash: 'ab'.repeat(32) }, 'ERR_ATOMFS_ROOT_HASH_MISMATCH'],
    ['truncated verity data', truncateTail, {}, 'ERR_ATOMFS_VERITY_TRUNCATED'],
    ['a missing root hash', nothing, { rootHash: undefined }, 'ERR_ATOMFS_ROOT_HASH_MISSING'],
  ] as const)('refuses %s under a good layer, before mounting anything', async (_what, damage, extra, code) => {
    const bad = await variant(damage, extra as Partial<LayerSpec>);
    const seen = new Set<string>();
    // All layers are verified (concurrently) before the first mount.
    const err = await mountMolecule({ dest: join(t.dir, 'mnt', bad.id), layers: [bad, L.del], scratch: scratch(), onProgress: (p) => seen.add(p.layer!) }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code });
    if (code !== 'ERR_ATOMFS_ROOT_HASH_MISSING') expect(seen.has('del')).toBe(true);
    expect(existsSync(join(t.dir, 'mnt', bad.id))).toBe(false); // not even the mountpoint was made
    if (code !== 'ERR_ATOMFS_ROOT_HASH_MISSING') {
      // The oracle refuses the same file.
      const off = (await dumpVerity(L.base.path)).hashOffset;
      expect(sh('veritysetup', ['verify', bad.path, bad.path, bad.rootHash!, `--hash-offset=${off}`], { allowFail: true }).code).not.toBe(0);
    }
    nothingLeft();
  });

  it('unmounts the layers it mounted when a later layer fails to mount (verified, but not a real squashfs)', async () => {
    const path = fakeSquashfs(join(t.dir, 'garbage.sqfs'), 8);
    const garbage: LayerSpec = { id: 'garbage', path, rootHash: (await formatVerity(path)).rootHash };
    // Top first: opq and del are mounted, then the kernel refuses the garbage bottom layer.
    const mounted: string[] = [];
    const sys: Sys = { ...realSys, mount: (m) => (mounted.push(m.target.split('/').pop()!), realSys.mount(m)) };
    const err = await mountMolecule({ dest: join(t.dir, 'mnt', 'garbage'), layers: [garbage, L.del, L.opq], scratch: scratch(), sys }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ATOMFS_TOOL_FAILED', details: { tool: 'mount' } });
    expect(mounted).toEqual(['opq', 'del', 'garbage']);
    nothingLeft();
  });

  it('refuses a root hash for a layer without verity data, and a layer with neither unless insecure', async () => {
    const plain = await buildLayer({ source: L.tars.opq, out: join(t.dir, 'plain.sqfs'), verity: false });
    const d = join(t.dir, 'mnt', 'plain');
    await expect(mountMolecule({ dest: d, layers: [{ id: 'plain', path: plain.path, rootHash: L.opq.rootHash }], scratch: scratch() })).rejects.toMatchObject({
      code: 'ERR_ATOMFS_VERITY_MISSING',
    });
    await expect(mountMolecule({ dest: d, layers: [{ id: 'plain', path: plain.path }], scratch: scratch() })).rejects.toMatchObject({ code: 'ERR_ATOMFS_INSECURE_REFUSED' });
    nothingLeft();
    const m = await mountMolecule({ dest: d, layers: [L.base, { id: 'plain', path: plain.path }], scratch: scratch(), insecure: true });
    try {
      expect(m.layerRecords.map((r) => r.protection)).toEqual(['unverified', 'verified-at-mount']);
      expect(m.layerRecords[0].status).toMatch(/UNVERIFIED/);
      const v = await verifyMounted(d);
      expect(v.layers[0]).toMatchObject({ id: 'plain', protection: 'unverified' });
      expect(readdirSync(join(d, 'opt'))).toEqual(['new']);
    } finally {
      await umountMolecule(d);
    }
    nothingLeft();
  });

  it('does not release a shared layer that another molecule uses when a mount fails', async () => {
    const good = join(t.dir, 'mnt', 'good');
    await mountMolecule({ dest: good, layers: [L.base], scratch: scratch() });
    try {
      const bad = await variant(dataByte);
      const seen = new Set<string>();
      // Top first: del is mounted new, base is shared with "good", then the bad bottom layer fails.
      await expect(mountMolecule({ dest: join(t.dir, 'mnt', 'bad'), layers: [bad, L.base, L.del], scratch: scratch(), onProgress: (p) => seen.add(p.layer!) })).rejects.toMatchObject({
        code: 'ERR_ATOMFS_DATA_BLOCK_CORRUPT',
      });
      expect([...seen].sort()).toEqual([bad.id, 'del']);
      expect(mountsUnder(join(scratch(), 'layers')).map((m) => m.target)).toEqual([join(scratch(), 'layers', 'base')]);
      expect(existsSync(join(good, 'bin/busybox'))).toBe(true);
    } finally {
      await umountMolecule(good);
    }
    nothingLeft();
  });

  it('refuses a layer id that is already mounted with another root hash', async () => {
    const good = join(t.dir, 'mnt', 'conflict-a');
    await mountMolecule({ dest: good, layers: [L.base], scratch: scratch() });
    try {
      await expect(mountMolecule({ dest: join(t.dir, 'mnt', 'conflict-b'), layers: [{ ...L.del, id: 'base' }], scratch: scratch() })).rejects.toMatchObject({
        code: 'ERR_ATOMFS_LAYER_CONFLICT',
      });
    } finally {
      await umountMolecule(good);
    }
    nothingLeft();
  });

  it('refuses hostile ids and destinations before touching anything', async () => {
    for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200)]) {
      await expect(mountMolecule({ dest: join(t.dir, 'mnt', 'h'), layers: [{ ...L.base, id }], scratch: scratch() })).rejects.toMatchObject({ code: 'ERR_ATOMFS_UNSAFE_PATH' });
    }
    await expect(mountMolecule({ dest: join(t.dir, 'mnt', 'a,b'), layers: [L.base], scratch: scratch() })).rejects.toMatchObject({ code: 'ERR_ATOMFS_UNSAFE_PATH' });
    await expect(mountMolecule({ dest: join(t.dir, 'mnt', 'h'), layers: [L.base], scratch: join(t.dir, 'sc:ratch') })).rejects.toMatchObject({ code: 'ERR_ATOMFS_UNSAFE_PATH' });
    for (const d of ['h', 'a,b']) expect(existsSync(join(t.dir, 'mnt', d))).toBe(false);
    expect(existsSync(join(t.dir, 'sc:ratch'))).toBe(false);
    nothingLeft();
  });
});
