// Real molecules: squashfs loop mounts under an overlay, read-only and writable, checked against
// umoci's unpack of the same layers as tar images (whiteout semantics oracle).
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertVerified, listMolecules, mountMolecule, umountMolecule, verifyMounted, type LayerSpec } from '@mos/atomfs';
import { builtLayers } from '../helpers/layers';
import { forceCleanup, loopsUnder, mountsUnder } from '../helpers/mounts';
import { flipByte, sh, tempDir } from '../helpers/tmp';
import { describeTree } from '../helpers/tree';

describe('molecule mounts (real kernel mounts)', () => {
  const t = tempDir();
  const scratch = (): string => join(t.dir, 'scratch');
  let L: Awaited<ReturnType<typeof builtLayers>>;
  beforeAll(async () => {
    L = await builtLayers(t.dir);
  });
  afterEach(() => {
    // The library must have cleaned up; the safety net only runs so one failure cannot cascade.
    const left = forceCleanup(t.dir);
    expect(left).toEqual([]);
  });
  afterAll(() => {
    forceCleanup(t.dir);
    t.cleanup();
  });

  const dest = (name: string) => join(t.dir, 'mnt', name);
  const expectNothingMounted = () => {
    expect(mountsUnder(t.dir)).toEqual([]);
    expect(loopsUnder(t.dir)).toEqual([]);
    expect(readdirSync(join(scratch(), 'layers'))).toEqual([]);
    expect(readdirSync(join(scratch(), 'molecules'))).toEqual([]);
  };

  it('mounts read-only: upper layers win, deletions and opaque dirs hide lower content, same tree as umoci', async () => {
    const d = dest('ro');
    const m = await mountMolecule({ dest: d, layers: [L.base, L.del, L.opq], scratch: scratch() });
    try {
      expect(m.layers.map((l) => l.id)).toEqual(['opq', 'del', 'base']);
      expect(m.options).toBe(`ro,lowerdir=${scratch()}/layers/opq:${scratch()}/layers/del:${scratch()}/layers/base,index=off,userxattr`);
      expect(m.layerRecords.every((r) => r.backend === 'verified-loop' && r.status === 'verified at mount, not enforced on read')).toBe(true);
      expect(readFileSync(join(d, 'etc/passwd'), 'utf8')).toContain('user:x:1000');
      expect(existsSync(join(d, 'etc/hostname'))).toBe(false);
      expect(existsSync(join(d, 'srv'))).toBe(false);
      expect(readdirSync(join(d, 'opt'))).toEqual(['new']);
      expect(() => writeFileSync(join(d, 'etc/x'), 'x')).toThrow(/EROFS|read-only/);
      expect(sh('chroot', [d, '/bin/sh', '-c', 'cat /etc/motd; ls /opt']).out).toBe('hello from base\nnew\n');

      // The oracle: umoci applies the same layers as OCI tars.
      const lay = join(t.dir, 'umoci');
      sh('umoci', ['init', '--layout', lay]);
      sh('umoci', ['new', '--image', `${lay}:t0`]);
      sh('umoci', ['raw', 'add-layer', '--image', `${lay}:t0`, '--tag', 't1', L.tars.base]);
      sh('umoci', ['raw', 'add-layer', '--image', `${lay}:t1`, '--tag', 't2', L.tars.del]);
      sh('umoci', ['raw', 'add-layer', '--image', `${lay}:t2`, '--tag', 't3', L.tars.opq]);
      sh('umoci', ['unpack', '--rootless', '--image', `${lay}:t3`, join(t.dir, 'bundle')]);
      expect(describeTree(d)).toEqual(describeTree(join(t.dir, 'bundle', 'rootfs')));
      expect((await verifyMounted(d)).ok).toBe(true);
    } finally {
      await umountMolecule(d);
    }
    expectNothingMounted();
  });

  it('mounts writable: writes and deletions land in the upper dir, the layers stay untouched, umount removes upper', async () => {
    const d = dest('rw');
    const m = await mountMolecule({ dest: d, layers: [L.base, L.del], scratch: scratch(), writable: true });
    try {
      expect(m.options).toContain(`upperdir=${m.upper},workdir=${m.work}`);
      writeFileSync(join(d, 'etc/new-file'), 'written\n');
      writeFileSync(join(d, 'etc/motd'), 'changed\n');
      unlinkSync(join(d, 'etc/passwd'));
      expect(readFileSync(join(m.upper!, 'etc/new-file'), 'utf8')).toBe('written\n');
      expect(readFileSync(join(m.upper!, 'etc/motd'), 'utf8')).toBe('changed\n');
      expect(lstatSync(join(m.upper!, 'etc/passwd')).isCharacterDevice()).toBe(true); // overlay whiteout
      expect(readFileSync(join(scratch(), 'layers/base/etc/motd'), 'utf8')).toBe('hello from base\n');
      expect(existsSync(join(scratch(), 'layers/del/etc/passwd'))).toBe(true);
    } finally {
      await umountMolecule(d);
    }
    expect(existsSync(m.upper!)).toBe(false);
    expectNothingMounted();
  });

  it('keeps the upper dir when asked and picks it up again', async () => {
    const d = dest('keep');
    const m = await mountMolecule({ dest: d, layers: [L.base], scratch: scratch(), writable: true, keep: true });
    try {
      expect(m.options).toContain(`${scratch()}/layers/base:${scratch()}/molecules/`); // the empty extra lower
      writeFileSync(join(d, 'kept'), 'kept\n');
    } finally {
      const r = await umountMolecule(d);
      expect(r.keptUpper).toBe(m.upper);
    }
    const again = await mountMolecule({ dest: d, layers: [L.base], scratch: scratch(), writable: true });
    try {
      expect(readFileSync(join(d, 'kept'), 'utf8')).toBe('kept\n');
    } finally {
      await umountMolecule(d);
    }
    expect(existsSync(again.upper!)).toBe(false);
    expectNothingMounted();
  });

  it('shares layer mounts between molecules; unmounting one leaves the other intact', async () => {
    const a = dest('share-a');
    const b = dest('share-b');
    await mountMolecule({ dest: a, layers: [L.base, L.del], scratch: scratch() });
    try {
      await mountMolecule({ dest: b, layers: [L.base, L.opq], scratch: scratch() });
      try {
        const layerMounts = () => mountsUnder(join(scratch(), 'layers')).map((x) => x.target).sort();
        expect(layerMounts()).toEqual(['base', 'del', 'opq'].map((n) => join(scratch(), 'layers', n)));
        const r = await umountMolecule(a);
        expect(r.released).toEqual(['del']);
        expect(layerMounts()).toEqual(['base', 'opq'].map((n) => join(scratch(), 'layers', n)));
        expect(readFileSync(join(b, 'etc/hostname'), 'utf8')).toBe('base-host\n');
        expect(readdirSync(join(b, 'opt'))).toEqual(['new']);
        expect((await verifyMounted(b)).ok).toBe(true);
      } finally {
        const r = await umountMolecule(b);
        expect(r.released.sort()).toEqual(['base', 'opq']);
      }
    } finally {
      if (mountsUnder(a).length) await umountMolecule(a);
    }
    expectNothingMounted();
  });

  it('refuses to unmount a busy root and leaves it mounted', async () => {
    const d = dest('busy');
    await mountMolecule({ dest: d, layers: [L.base], scratch: scratch() });
    const fd = openSync(join(d, 'etc/motd'), 'r');
    try {
      await expect(umountMolecule(d)).rejects.toMatchObject({ code: 'ERR_ATOMFS_BUSY' });
      expect(mountsUnder(d).length).toBe(1);
      expect((await listMolecules({ scratch: scratch() })).map((x) => [x.dest, x.mounted])).toEqual([[d, true]]);
    } finally {
      closeSync(fd);
      await umountMolecule(d);
    }
    expectNothingMounted();
  });

  it('releases the free layers when one layer mount is busy, and a second umount finishes', async () => {
    const d = dest('busy-layer');
    await mountMolecule({ dest: d, layers: [L.base, L.del], scratch: scratch() });
    const fd = openSync(join(scratch(), 'layers/base/etc/motd'), 'r');
    try {
      await expect(umountMolecule(d)).rejects.toMatchObject({ code: 'ERR_ATOMFS_BUSY', details: { layer: 'base' } });
      expect(mountsUnder(t.dir).map((m) => m.target)).toEqual([join(scratch(), 'layers/base')]);
    } finally {
      closeSync(fd);
    }
    // The overlay is gone, so the scratch() dir must be named this time.
    expect(await umountMolecule(d, { scratch: scratch() })).toMatchObject({ released: ['base'] });
    expectNothingMounted();
  });

  it('verify DEST re-hashes each layer and reports the corrupt one', async () => {
    const copy: LayerSpec = { ...L.del, id: 'del-copy', path: join(t.dir, 'del-copy.sqfs') };
    sh('cp', [L.del.path, copy.path]);
    const d = dest('verify');
    await mountMolecule({ dest: d, layers: [L.base, copy], scratch: scratch() });
    try {
      expect((await verifyMounted(d)).layers.map((l) => [l.id, l.ok])).toEqual([
        ['del-copy', true],
        ['base', true],
      ]);
      flipByte(copy.path, 100);
      const r = await verifyMounted(d);
      expect(r.ok).toBe(false);
      expect(() => assertVerified(r)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_VERIFY_FAILED' }));
      expect(r.layers[0]).toMatchObject({ id: 'del-copy', ok: false, detail: expect.stringContaining('CORRUPTION FOUND') });
      expect(r.layers[1].ok).toBe(true);
    } finally {
      await umountMolecule(d);
    }
    expectNothingMounted();
  });

  it.each(['squashfuse', 'extract'] as const)('mounts with the %s backend after the same upfront verification', async (backend) => {
    const d = dest(`be-${backend}`);
    const m = await mountMolecule({ dest: d, layers: [L.base, L.del, L.opq], scratch: scratch(), backend });
    try {
      expect(m.layerRecords.map((r) => [r.backend, r.protection])).toEqual(Array(3).fill([backend, 'verified-at-mount']));
      const layerMounts = mountsUnder(join(scratch(), 'layers'));
      if (backend === 'squashfuse') expect(layerMounts.map((x) => x.fstype)).toEqual(Array(3).fill('fuse.squashfuse'));
      else expect(layerMounts).toEqual([]);
      expect(readdirSync(join(d, 'opt'))).toEqual(['new']);
      expect(existsSync(join(d, 'etc/hostname'))).toBe(false);
      expect((await verifyMounted(d)).ok).toBe(true);
    } finally {
      await umountMolecule(d);
    }
    expectNothingMounted();
  });

  it('refuses a second molecule on the same destination', async () => {
    const d = dest('twice');
    await mountMolecule({ dest: d, layers: [L.base], scratch: scratch() });
    try {
      await expect(mountMolecule({ dest: d, layers: [L.del], scratch: scratch() })).rejects.toMatchObject({ code: 'ERR_ATOMFS_ALREADY_MOUNTED' });
    } finally {
      await umountMolecule(d);
    }
    expectNothingMounted();
  });
});
