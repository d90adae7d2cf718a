// Unit tests over a fake Sys (test/unit may touch internals): the dm-verity backend's exact
// argv (device-mapper is absent on this kernel, so this is where that path is checked), and
// how backends are chosen.
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chooseBackend, formatVerity, mountMolecule, umountMolecule, verifyMounted, verityTable, type LayerSpec } from '@mos/atomfs';
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
    sys.devices.add('/sys/class/misc/device-mapper');
    sys.on('losetup', (args) => (args[0] === '-f' ? { stdout: '/dev/loop7\n' } : undefined));
    sys.on('dmsetup', (args) => {
      if (args[0] === 'create') sys.devices.add(`/dev/mapper/${args[1]}`);
      if (args[0] === 'remove') sys.devices.delete(`/dev/mapper/${args[1]}`);
      return args[0] === 'status' ? { stdout: `0 24 verity ${status}\n` } : undefined;
    });
    return sys;
  }
  const tableOf = async (dev: string) => (await verityTable({ file: layer.path, device: dev, hashOffset: 12288, rootHash: layer.rootHash! })).table;

  it('nodev: the overlay is mounted nodev (a container root: device nodes in its layers open nothing)', async () => {
    const sys = dmSys();
    const dest = join(t.dir, 'dest-nodev');
    await mountMolecule({ dest, layers: [layer], scratch: scratch(), sys, nodev: true });
    expect(sys.argv('mount')[1].slice(0, 4)).toEqual(['-t', 'overlay', '-o', expect.stringMatching(/^ro,nodev,lowerdir=/)]);
    await umountMolecule(dest, { sys });
  });

  it('attaches a read-only loop, creates the verity target from our table, checks V, mounts the mapper device read-only', async () => {
    const sys = dmSys();
    const dest = join(t.dir, 'dest1');
    const m = await mountMolecule({ dest, layers: [layer], scratch: scratch(), sys });
    const name = `${layer.id}-verity`;
    const mp = join(scratch(), 'layers', layer.id);
    expect(sys.calls.slice(0, 5)).toEqual([
      { tool: 'losetup', args: ['-f'] },
      { tool: 'losetup', args: ['-r', '/dev/loop7', layer.path] },
      { tool: 'dmsetup', args: ['create', name, '--readonly', '--table', await tableOf('/dev/loop7')] },
      { tool: 'dmsetup', args: ['status', name] },
      { tool: 'mount', args: ['-t', 'squashfs', '-o', 'ro', `/dev/mapper/${name}`, mp] },
    ]);
    expect(m.layerRecords[0]).toMatchObject({ backend: 'dm-verity', protection: 'enforced', device: `/dev/mapper/${name}`, backing: '/dev/loop7' });
    expect(sys.argv('mount')[1]).toEqual(['-t', 'overlay', '-o', `ro,lowerdir=${mp}:${scratch()}/molecules/${m.layers.length && require('node:crypto').createHash('sha256').update(dest).digest('hex').slice(0, 32)}/empty,index=off,userxattr`, 'overlay', dest]);
    expect(await verifyMounted(dest, { sys })).toMatchObject({ ok: true, layers: [{ ok: true, detail: expect.stringContaining('dm status V') }] });
    sys.on('dmsetup', () => ({ stdout: '0 24 verity C\n' }));
    expect(await verifyMounted(dest, { sys })).toMatchObject({ ok: false, layers: [{ ok: false, detail: 'CORRUPTION FOUND: dm status C' }] });
    sys.calls = [];
    await umountMolecule(dest, { sys });
    expect(sys.calls).toEqual([
      { tool: 'umount', args: [dest] },
      { tool: 'umount', args: [mp] },
      { tool: 'dmsetup', args: ['remove', name] },
      { tool: 'losetup', args: ['-d', '/dev/loop7'] },
    ]);
  });

  it('builds the table veritysetup would: geometry and salt from the superblock, tree after it', async () => {
    // libdevmapper (under veritysetup) creates /dev/mapper/control even without a kernel driver: undo that.
    const hadControl = existsSync('/dev/mapper/control');
    const hadDir = existsSync('/dev/mapper');
    let dump: string;
    try {
      dump = execFileSync('veritysetup', ['dump', `--hash-offset=12288`, layer.path], { encoding: 'utf8' });
    } finally {
      if (!hadControl) rmSync('/dev/mapper/control', { force: true });
      if (!hadDir) rmSync('/dev/mapper', { recursive: true, force: true });
    }
    const salt = /Salt:\s*([0-9a-f]+)/.exec(dump)![1];
    expect(await tableOf('/dev/loop9')).toBe(`0 24 verity 1 /dev/loop9 /dev/loop9 4096 4096 3 4 sha256 ${layer.rootHash!.toLowerCase()} ${salt}`);
    const restart = await verityTable({ file: layer.path, device: '/dev/loop9', hashOffset: 12288, rootHash: layer.rootHash!, onCorruption: 'restart' });
    expect(restart.table.endsWith(' 1 restart_on_corruption')).toBe(true);
    await expect(verityTable({ file: layer.path, device: '/dev/loop9', hashOffset: 8192, rootHash: layer.rootHash! })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_VERITY_SUPERBLOCK' });
  });

  it('reuses an existing device only when its table has the same root hash', async () => {
    const name = `${layer.id}-verity`;
    const table = (root: string) => `0 24 verity 1 /dev/loop0 /dev/loop0 4096 4096 3 4 sha256 ${root} ${'00'.repeat(32)}\n`;
    const sys = dmSys();
    sys.devices.add(`/dev/mapper/${name}`);
    sys.on('dmsetup', (args) => ({ stdout: args[0] === 'table' ? table(layer.rootHash!) : '0 24 verity V\n' }));
    const dest = join(t.dir, 'dest2');
    await mountMolecule({ dest, layers: [layer], scratch: scratch(), sys });
    expect(sys.argv('dmsetup').filter((a) => a[0] === 'create')).toEqual([]);
    expect(sys.argv('losetup')).toEqual([]);
    await umountMolecule(dest, { sys });

    const other = dmSys();
    other.devices.add(`/dev/mapper/${name}`);
    other.on('dmsetup', () => ({ stdout: table('f'.repeat(64)) }));
    await expect(mountMolecule({ dest: join(t.dir, 'dest3'), layers: [layer], scratch: scratch(), sys: other })).rejects.toMatchObject({ code: 'ERR_ATOMFS_LAYER_CONFLICT' });
    expect(other.mounts).toEqual([]);
  });

  it('removes the device and detaches the loop again when the status is not V, and mounts nothing', async () => {
    const sys = dmSys('C');
    await expect(mountMolecule({ dest: join(t.dir, 'dest4'), layers: [layer], scratch: scratch(), sys })).rejects.toMatchObject({ code: 'ERR_ATOMFS_TOOL_FAILED' });
    expect(sys.argv('dmsetup').map((a) => a[0])).toEqual(['create', 'status', 'remove']);
    expect(sys.argv('losetup').map((a) => a[0])).toEqual(['-f', '-r', '-d']);
    expect(sys.mounts).toEqual([]);
  });

  it('calls a mount that fails with the device in state C corruption of that layer', async () => {
    const sys = dmSys();
    let reads = 0;
    sys.on('dmsetup', (args) => (args[0] === 'status' ? { stdout: `0 24 verity ${reads++ === 0 ? 'V' : 'C'}\n` } : undefined));
    sys.failMount = (m) => m.fstype === 'squashfs';
    await expect(mountMolecule({ dest: join(t.dir, 'dest5'), layers: [layer], scratch: scratch(), sys })).rejects.toMatchObject({
      code: 'ERR_ATOMFS_DATA_BLOCK_CORRUPT',
      details: { layer: layer.id, check: 'dm-verity' },
    });
    expect(sys.argv('losetup').map((a) => a[0])).toEqual(['-f', '-r', '-d']);
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
    [true, ['/sys/class/misc/device-mapper', '/dev/fuse'], true, 'dm-verity'],
    [true, ['/dev/fuse'], true, 'verified-loop'],
    [false, ['/sys/class/misc/device-mapper', '/dev/fuse'], true, 'squashfuse'],
    [false, [], true, 'extract'],
    [true, ['/sys/class/misc/device-mapper'], false, 'verified-loop'],
  ])('host root %s, devices %j, root hash %s → %s', (hostRoot, devices, hasHash, name) => {
    expect(chooseBackend(ctx(hostRoot, devices), undefined, hasHash).name).toBe(name);
  });
  it('honours an explicit choice and refuses an unusable one', () => {
    expect(chooseBackend(ctx(true, []), 'extract', true).name).toBe('extract');
    expect(() => chooseBackend(ctx(true, []), 'dm-verity', true)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BACKEND_UNAVAILABLE' }));
    expect(() => chooseBackend(ctx(false, ['/sys/class/misc/device-mapper']), 'verified-loop', true)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BACKEND_UNAVAILABLE' }));
  });
});
