import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInitramfs, defaultBundlePath, realInitrdSys, type BuildInitramfsOptions, type InitrdSys } from '@mos/bringup';
import { tempDirs } from '@mos/test-utils';
import { cpioListing, fakeCa, fakeKernelTree, hasRealKernel, HOW_TO_GET_KERNEL, REAL_KERNEL_DIR, REAL_KVER, type FakeModule } from './helpers';

const temps = tempDirs();
afterEach(() => temps.cleanup());

const KVER = '9.9.9-test';
const MODULES: FakeModule[] = [
  { path: 'kernel/drivers/md/dm-mod.ko' },
  { path: 'kernel/drivers/md/dm-verity.ko', depends: ['dm-mod'] },
  { path: 'kernel/fs/squashfs/squashfs.ko' },
];

/** Inputs for a small build: a fake kernel tree, a CA, a bundle stand-in; node is the host's unless replaced. */
function inputs(dir: string, extra: Partial<BuildInitramfsOptions> = {}): BuildInitramfsOptions {
  fakeKernelTree(join(dir, 'k'), KVER, MODULES);
  writeFileSync(join(dir, 'bringup.js'), 'console.log("bringup stand-in");\n');
  return { kernelDir: join(dir, 'k'), ca: fakeCa(join(dir, 'ca.pem')), bundle: join(dir, 'bringup.js'), out: join(dir, 'initrd.img'), modules: ['squashfs', 'dm_verity'], ...extra };
}

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('.tmp-'));

describe('buildInitramfs: reproducible', () => {
  it.each([
    // zstd with the real node: big enough that zstd really runs several workers.
    ['zstd', undefined],
    ['gzip', '/usr/sbin/dmsetup'],
    ['lz4', '/usr/sbin/dmsetup'],
    ['none', '/usr/sbin/dmsetup'],
  ] as const)('%s: the same inputs with other mtimes give the same bytes', async (compress, node) => {
    const d = temps.make();
    const opts = inputs(d, { compress, ...(node ? { node } : {}) });
    const a = await buildInitramfs({ ...opts, out: join(d, 'a.img') });
    for (const f of [opts.ca, opts.bundle!, join(opts.kernelDir, 'lib/modules', KVER, 'kernel/drivers/md/dm-mod.ko')]) utimesSync(f, 1_000_000, 1_000_000);
    const b = await buildInitramfs({ ...opts, out: join(d, 'b.img') });
    expect(b.sha256).toBe(a.sha256);
    expect(sha256(join(d, 'b.img'))).toBe(a.sha256);
    expect(readFileSync(join(d, 'a.img')).equals(readFileSync(join(d, 'b.img')))).toBe(true);
    expect(a).toMatchObject({ kver: KVER, compress, size: statSync(join(d, 'a.img')).size, modules: ['kernel/fs/squashfs/squashfs.ko', 'kernel/drivers/md/dm-mod.ko', 'kernel/drivers/md/dm-verity.ko'] });
    expect(leftovers(d)).toEqual([]);
  });
});

describe('buildInitramfs: layout', () => {
  it('puts the mos layout in the archive, extra files over applet links, one mtime', async () => {
    const d = temps.make();
    writeFileSync(join(d, 'my-sh'), '#!/bin/true\n');
    const r = await buildInitramfs(inputs(d, { compress: 'none', node: '/usr/sbin/dmsetup', mtime: 86400, files: [{ src: join(d, 'my-sh'), dest: '/bin/sh', mode: 0o750 }] }));
    const list = cpioListing(r.out);
    const by = Object.fromEntries(list.map((e) => [e.name, e]));
    expect(r.files).toBe(list.length);
    expect(by['init']).toMatchObject({ mode: '-rwxr-xr-x' });
    expect(by['manifestCA.pem']).toMatchObject({ mode: '-rw-r--r--' });
    expect(by['usr/lib/mos/bringup.js']).toMatchObject({ mode: '-rw-r--r--' });
    for (const p of ['bin/busybox', 'usr/bin/node', 'usr/sbin/dmsetup', 'lib64/ld-linux-x86-64.so.2']) expect(by[p]).toMatchObject({ mode: '-rwxr-xr-x' });
    expect(by['bin/sh']).toMatchObject({ mode: '-rwxr-x---', size: 12 }); // the extra file, not the applet link
    expect(by['sbin/switch_root']).toMatchObject({ target: '/bin/busybox' });
    expect(by['usr/sbin/chroot']).toMatchObject({ target: '/bin/busybox' });
    expect(by['dev/console']).toMatchObject({ dev: [5, 1] });
    expect(by['dev/null']).toMatchObject({ dev: [1, 3] });
    for (const p of ['proc', 'sys', 'dev', 'run', 'sysroot', 'tmp', 'etc']) expect(by[p].mode[0]).toBe('d');
    expect(by[`lib/modules/${KVER}/kernel/drivers/md/dm-verity.ko`]).toBeDefined();
    const out = temps.make();
    execFileSync('cpio', ['-idm', '--quiet', '-F', r.out], { cwd: out });
    expect(readFileSync(join(out, 'etc/mos/modules'), 'utf8')).toBe(r.modules.join('\n') + '\n');
    expect(readFileSync(join(out, 'etc/mos/kver'), 'utf8')).toBe(`${KVER}\n`);
    expect(statSync(join(out, 'usr/lib/mos/bringup.js')).mtimeMs).toBe(86_400_000);
  });

  it('finds the lead\'s bundle at packages/bringup/dist/bringup.js by default', () => {
    expect(defaultBundlePath()).toBe(join(__dirname, '..', '..', 'dist', 'bringup.js'));
  });
});

describe('buildInitramfs: refuses, and leaves out untouched', () => {
  const OLD = 'the previous initramfs\n';

  it.each([
    ['a missing CA', (o: BuildInitramfsOptions) => ({ ...o, ca: o.ca + '.gone' }), 'ERR_BRINGUP_FILE_NOT_FOUND'],
    ['a CA that is not PEM', (o: BuildInitramfsOptions) => (writeFileSync(o.ca, 'hello'), o), 'ERR_BRINGUP_BAD_OPTION'],
    ['an unknown compression', (o: BuildInitramfsOptions) => ({ ...o, compress: 'xz' as never }), 'ERR_BRINGUP_BAD_OPTION'],
    ['a missing kernel tree', (o: BuildInitramfsOptions) => ({ ...o, kernelDir: o.kernelDir + '.gone' }), 'ERR_BRINGUP_FILE_NOT_FOUND'],
    ['a bad mtime', (o: BuildInitramfsOptions) => ({ ...o, mtime: -1 }), 'ERR_BRINGUP_BAD_OPTION'],
    ['a missing extra file', (o: BuildInitramfsOptions) => ({ ...o, files: [{ src: '/nonexistent', dest: '/x' }] }), 'ERR_BRINGUP_FILE_NOT_FOUND'],
    ['an extra file over /init', (o: BuildInitramfsOptions) => ({ ...o, files: [{ src: o.ca, dest: '/init' }] }), 'ERR_BRINGUP_BAD_OPTION'],
    ['a module the tree lacks', (o: BuildInitramfsOptions) => ({ ...o, extraModules: ['zfs'] }), 'ERR_BRINGUP_MODULE_NOT_FOUND'],
    ['a dynamic busybox', (o: BuildInitramfsOptions) => ({ ...o, busybox: '/usr/sbin/dmsetup' }), 'ERR_BRINGUP_BINARY_UNSUITABLE'],
    ['a static node', (o: BuildInitramfsOptions) => ({ ...o, node: '/bin/busybox' }), 'ERR_BRINGUP_BINARY_UNSUITABLE'],
  ])('%s', async (_what, change, code) => {
    const d = temps.make();
    const opts = change(inputs(d, { node: '/usr/sbin/dmsetup' }));
    writeFileSync(opts.out, OLD);
    await expect(buildInitramfs(opts)).rejects.toMatchObject({ code });
    expect(readFileSync(opts.out, 'utf8')).toBe(OLD);
    expect(leftovers(d)).toEqual([]);
  });

  it('a compressor that fails: ERR_BRINGUP_INITRD_BUILD naming it, no temp file left', async () => {
    const d = temps.make();
    // The real seam, except that the compressor reads a little and exits 3.
    const sys: InitrdSys = { run: realInitrdSys.run, filter: () => realInitrdSys.filter('sh', ['-c', 'head -c 1000 >/dev/null; echo "disk on fire" >&2; exit 3']) };
    const opts = inputs(d, { sys, compress: 'zstd' });
    writeFileSync(opts.out, OLD);
    const err = await buildInitramfs(opts).catch((e) => e);
    expect(err).toMatchObject({ code: 'ERR_BRINGUP_INITRD_BUILD', details: { tool: 'sh', exitCode: 3 } });
    expect(err.message).toMatch(/disk on fire/);
    expect(readFileSync(opts.out, 'utf8')).toBe(OLD);
    expect(leftovers(d)).toEqual([]);
  });
});

describe('buildInitramfs: a real initramfs from the Debian kernel', () => {
  it(`builds from ${REAL_KERNEL_DIR}, unpacks with zstd | cpio, and node, dmsetup and /init work from it`, async () => {
    if (!hasRealKernel) throw new Error(HOW_TO_GET_KERNEL);
    const d = temps.make();
    writeFileSync(join(d, 'bringup.js'), 'console.log("bringup stand-in");\n');
    const r = await buildInitramfs({ kernelDir: REAL_KERNEL_DIR, ca: fakeCa(join(d, 'ca.pem')), bundle: join(d, 'bringup.js'), out: join(d, 'initrd.img') });
    expect(r).toMatchObject({ kver: REAL_KVER, compress: 'zstd', missingModules: [] });
    const root = join(d, 'root');
    execSync(`mkdir ${root} && zstd -dc ${r.out} | (cd ${root} && cpio -idm --quiet)`);

    const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }; // no NODE_OPTIONS or extra CA settings from the host
    expect(spawnSync('chroot', [root, '/usr/bin/node', '-e', 'console.log(1)'], { encoding: 'utf8', env }).stdout).toBe('1\n');
    const dm = spawnSync('chroot', [root, '/usr/sbin/dmsetup', '--version'], { encoding: 'utf8', env });
    expect(dm.stdout).toMatch(/^Library version:\s+1\.02\./); // the driver line needs /dev/mapper/control, absent in a chroot
    expect(spawnSync('chroot', [root, '/bin/busybox', 'sh', '-n', '/init'], { env }).status).toBe(0);
    expect(statSync(join(root, 'init')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(root, 'manifestCA.pem'), 'utf8')).toBe(readFileSync(join(d, 'ca.pem'), 'utf8'));

    const list = readFileSync(join(root, 'etc/mos/modules'), 'utf8').trim().split('\n');
    expect(list).toEqual(r.modules);
    for (const m of list) expect(statSync(join(root, 'lib/modules', REAL_KVER, m)).isFile()).toBe(true);
    const at = (file: string) => list.findIndex((m) => m.endsWith(`/${file}`));
    for (const [before, after] of [['dm-mod.ko', 'dm-verity.ko'], ['crc32c_generic.ko', 'ext4.ko'], ['jbd2.ko', 'ext4.ko'], ['virtio.ko', 'virtio_blk.ko'], ['dm-bufio.ko', 'dm-verity.ko'], ['fat.ko', 'vfat.ko']])
      expect({ before, after, ok: at(before) >= 0 && at(before) <= at(after) }).toEqual({ before, after, ok: true });
  });
});
