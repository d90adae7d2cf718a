// Molecule logic over a fake Sys: option strings, the 4096-byte limit, backend argv for
// squashfuse / extract, and rollback when a later layer fails.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerity, mountMolecule, type LayerSpec } from '@mos/atomfs';
import { FakeSys } from '../helpers/fake-sys';
import { fakeSquashfs } from '../helpers/fixtures';
import { tempDir } from '../helpers/tmp';

describe('molecule logic (fake sys)', () => {
  const t = tempDir();
  const scratch = (): string => join(t.dir, 'scratch');
  const layers: LayerSpec[] = [];
  beforeAll(async () => {
    for (const id of ['l0', 'l1', 'l2']) {
      const path = fakeSquashfs(join(t.dir, `${id}.sqfs`));
      layers.push({ id, path, rootHash: (await formatVerity(path)).rootHash });
    }
  });
  afterAll(t.cleanup);

  it('stacks layers top first with index=off and userxattr, upper and work when writable', async () => {
    const sys = new FakeSys();
    const dest = join(t.dir, 'rw');
    const m = await mountMolecule({ dest, layers, scratch: scratch(), sys, writable: true });
    const L = (id: string) => join(scratch(), 'layers', id);
    expect(m.options).toBe(`lowerdir=${L('l2')}:${L('l1')}:${L('l0')},upperdir=${m.upper},workdir=${m.work},index=off,userxattr`);
    expect(sys.argv('mount').map((a) => a.slice(0, 4))).toEqual([
      ['-t', 'squashfs', '-o', 'loop,ro'],
      ['-t', 'squashfs', '-o', 'loop,ro'],
      ['-t', 'squashfs', '-o', 'loop,ro'],
      ['-t', 'overlay', '-o', m.options],
    ]);
  });

  it('fresh: a boot never picks up an upper dir left on disk; recordAs: the root is recorded under its post-switch path', async () => {
    const sys = new FakeSys();
    const dest = join(t.dir, 'sysroot');
    const first = await mountMolecule({ dest, layers, scratch: scratch(), sys, writable: true, recordAs: '/' });
    expect(first.dest).toBe('/');
    writeFileSync(join(first.upper!, 'planted'), 'written offline\n');
    await sys.umount(dest); // the machine went down without unmounting
    const kept = await mountMolecule({ dest, layers, scratch: scratch(), sys, writable: true, recordAs: '/' });
    expect(existsSync(join(kept.upper!, 'planted'))).toBe(true);
    await sys.umount(dest);
    const fresh = await mountMolecule({ dest, layers, scratch: scratch(), sys, writable: true, recordAs: '/', fresh: true });
    expect(fresh.upper).toBe(first.upper);
    expect(readdirSync(fresh.upper!)).toEqual([]);
  });

  it('refuses an option string over the page limit before mounting anything', async () => {
    const sys = new FakeSys();
    const many = Array.from({ length: 120 }, (_, i) => ({ ...layers[0], id: `layer-with-a-long-name-${String(i).padStart(3, '0')}` }));
    await expect(mountMolecule({ dest: join(t.dir, 'many'), layers: many, scratch: scratch(), sys })).rejects.toMatchObject({ code: 'ERR_ATOMFS_OPTIONS_TOO_LONG', details: { layers: 120 } });
    expect(sys.calls).toEqual([]);
  });

  it('undoes the layers it mounted when a later one fails, keeping none of its records', async () => {
    const sys = new FakeSys();
    sys.failMount = (m) => m.target.endsWith('/l0');
    await expect(mountMolecule({ dest: join(t.dir, 'fail'), layers, scratch: join(t.dir, 's-fail'), sys })).rejects.toMatchObject({ code: 'ERR_ATOMFS_TOOL_FAILED' });
    expect(sys.mounts).toEqual([]);
    expect(sys.argv('umount').map((a) => a[0]).sort()).toEqual([join(t.dir, 's-fail', 'layers', 'l1'), join(t.dir, 's-fail', 'layers', 'l2')]);
    expect(readdirSync(join(t.dir, 's-fail', 'layers'))).toEqual([]);
    expect(readdirSync(join(t.dir, 's-fail', 'molecules'))).toEqual([]);
  });

  it('undoes everything when the overlay mount fails', async () => {
    const sys = new FakeSys();
    sys.failMount = (m) => m.fstype === 'overlay';
    await expect(mountMolecule({ dest: join(t.dir, 'ovl-fail'), layers, scratch: join(t.dir, 's-ovl'), sys })).rejects.toMatchObject({ code: 'ERR_ATOMFS_TOOL_FAILED' });
    expect(sys.mounts).toEqual([]);
    expect(readdirSync(join(t.dir, 's-ovl', 'layers'))).toEqual([]);
  });

  it('runs squashfuse and unsquashfs with the expected arguments', async () => {
    const fuse = new FakeSys();
    fuse.devices.add('/dev/fuse');
    await mountMolecule({ dest: join(t.dir, 'fuse'), layers: [layers[0]], scratch: join(t.dir, 's-fuse'), sys: fuse, backend: 'squashfuse' });
    expect(fuse.argv('squashfuse')).toEqual([['-o', 'allow_other', layers[0].path, join(t.dir, 's-fuse', 'layers', 'l0')]]);
    const ex = new FakeSys();
    await mountMolecule({ dest: join(t.dir, 'ex'), layers: [layers[0]], scratch: join(t.dir, 's-ex'), sys: ex, backend: 'extract' });
    expect(ex.argv('unsquashfs')).toEqual([['-no-progress', '-quiet', '-force', '-dest', join(t.dir, 's-ex', 'layers', 'l0'), layers[0].path]]);
    expect(existsSync(join(t.dir, 's-ex', 'layers', 'l0.json'))).toBe(true);
  });

  it('mounts a layer listed twice once, at its topmost position', async () => {
    const sys = new FakeSys();
    const m = await mountMolecule({ dest: join(t.dir, 'dup'), layers: [layers[0], layers[1], layers[0]], scratch: join(t.dir, 's-dup'), sys });
    expect(m.layers.map((l) => l.id)).toEqual(['l0', 'l1']);
  });
});
