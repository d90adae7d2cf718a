// Unit tests over a fake Sys (test/unit may touch internals): the dm-verity backend's exact
// argv (device-mapper is absent on this kernel, so this is where that path is checked), and
// how backends are chosen.
import { join } from 'node:path';
import { chooseBackend, formatVerity, mountMolecule, umountMolecule, verifyMounted, type LayerSpec } from '@mos/atomfs';
import { FakeSys } from '../helpers/fake-sys';
import { fakeSquashfs } from '../helpers/fixtures';
import { tempDir } from '../helpers/tmp';

describe('dm-verity backend (fake sys)', () => {
  const t = tempDir();
  const scratch = (): string => join(t.dir, 'scratch');
  let layer: LayerSpec;
  beforeAll(async () => {
    const path = fakeSquashfs(join(t.dir, 'l.sqfs'));
    layer = { id: 'a'.repeat(64), path, rootHash: (await formatVerity(path)).rootHash };
  });
  afterAll(t.cleanup);

  function dmSys(status = 'V'): FakeSys {
    const sys = new FakeSys();
    sys.devices.add('/dev/mapper/control');
    sys.on('veritysetup', (args) => {
      if (args[0] === 'open') sys.devices.add(`/dev/mapper/${args[2]}`);
      if (args[0] === 'close') sys.devices.delete(`/dev/mapper/${args[1]}`);
      return undefined;
    });
    sys.on('dmsetup', (args) => (args[0] === 'status' ? { stdout: `0 24 verity ${status}\n` } : undefined));
    return sys;
  }

  it('opens the verity device with root hash and hash offset, checks V, mounts the mapper device read-only', async () => {
    const sys = dmSys();
    const dest = join(t.dir, 'dest1');
    const m = await mountMolecule({ dest, layers: [layer], scratch: scratch(), sys });
    const name = `${layer.id}-verity`;
    const mp = join(scratch(), 'layers', layer.id);
    expect(sys.calls.slice(0, 3)).toEqual([
      { tool: 'veritysetup', args: ['open', layer.path, name, layer.path, layer.rootHash, '--hash-offset=12288'] },
      { tool: 'dmsetup', args: ['status', name] },
      { tool: 'mount', args: ['-t', 'squashfs', '-o', 'ro', `/dev/mapper/${name}`, mp] },
    ]);
    expect(m.layerRecords[0]).toMatchObject({ backend: 'dm-verity', protection: 'enforced', device: `/dev/mapper/${name}` });
    expect(sys.argv('mount')[1]).toEqual(['-t', 'overlay', '-o', `ro,lowerdir=${mp}:${scratch()}/molecules/${m.layers.length && require('node:crypto').createHash('sha256').update(dest).digest('hex').slice(0, 32)}/empty,index=off,userxattr`, 'overlay', dest]);
    expect(await verifyMounted(dest, { sys })).toMatchObject({ ok: true, layers: [{ ok: true, detail: expect.stringContaining('dm status V') }] });
    sys.on('dmsetup', () => ({ stdout: '0 24 verity C\n' }));
    expect(await verifyMounted(dest, { sys })).toMatchObject({ ok: false, layers: [{ ok: false, detail: 'CORRUPTION FOUND: dm status C' }] });
    sys.calls = [];
    await umountMolecule(dest, { sys });
    expect(sys.calls).toEqual([
      { tool: 'umount', args: [dest] },
      { tool: 'umount', args: [mp] },
      { tool: 'veritysetup', args: ['close', name] },
    ]);
  });

  it('reuses an existing device only when its table has the same root hash', async () => {
    const name = `${layer.id}-verity`;
    const table = (root: string) => `0 24 verity 1 /dev/loop0 /dev/loop0 4096 4096 3 4 sha256 ${root} ${'00'.repeat(32)}\n`;
    const sys = dmSys();
    sys.devices.add(`/dev/mapper/${name}`);
    sys.on('dmsetup', (args) => ({ stdout: args[0] === 'table' ? table(layer.rootHash!) : '0 24 verity V\n' }));
    const dest = join(t.dir, 'dest2');
    await mountMolecule({ dest, layers: [layer], scratch: scratch(), sys });
    expect(sys.argv('veritysetup').filter((a) => a[0] === 'open')).toEqual([]);
    await umountMolecule(dest, { sys });

    const other = dmSys();
    other.devices.add(`/dev/mapper/${name}`);
    other.on('dmsetup', () => ({ stdout: table('f'.repeat(64)) }));
    await expect(mountMolecule({ dest: join(t.dir, 'dest3'), layers: [layer], scratch: scratch(), sys: other })).rejects.toMatchObject({ code: 'ERR_ATOMFS_LAYER_CONFLICT' });
    expect(other.mounts).toEqual([]);
  });

  it('closes the device again when the status is not V, and mounts nothing', async () => {
    const sys = dmSys('C');
    await expect(mountMolecule({ dest: join(t.dir, 'dest4'), layers: [layer], scratch: scratch(), sys })).rejects.toMatchObject({ code: 'ERR_ATOMFS_TOOL_FAILED' });
    expect(sys.argv('veritysetup').map((a) => a[0])).toEqual(['open', 'close']);
    expect(sys.mounts).toEqual([]);
  });
});

describe('chooseBackend', () => {
  const ctx = (hostRoot: boolean, devices: string[]) => {
    const sys = new FakeSys();
    sys.hostRoot = hostRoot;
    devices.forEach((d) => sys.devices.add(d));
    return { sys };
  };
  it.each([
    [true, ['/dev/mapper/control', '/dev/fuse'], true, 'dm-verity'],
    [true, ['/dev/fuse'], true, 'verified-loop'],
    [false, ['/dev/mapper/control', '/dev/fuse'], true, 'squashfuse'],
    [false, [], true, 'extract'],
    [true, ['/dev/mapper/control'], false, 'verified-loop'],
  ])('host root %s, devices %j, root hash %s → %s', (hostRoot, devices, hasHash, name) => {
    expect(chooseBackend(ctx(hostRoot, devices), undefined, hasHash).name).toBe(name);
  });
  it('honours an explicit choice and refuses an unusable one', () => {
    expect(chooseBackend(ctx(true, []), 'extract', true).name).toBe('extract');
    expect(() => chooseBackend(ctx(true, []), 'dm-verity', true)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BACKEND_UNAVAILABLE' }));
    expect(() => chooseBackend(ctx(false, ['/dev/mapper/control']), 'verified-loop', true)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BACKEND_UNAVAILABLE' }));
  });
});
