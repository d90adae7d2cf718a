import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aliasMatches, findKernel, loadModuleIndex, parseModinfo, readModinfo, resolveModules, DEFAULT_INITRD_MODULES, OPTIONAL_INITRD_MODULES } from '@mos/bringup';
import { tempDirs } from '@mos/test-utils';
import { fakeKernelTree, fakeKo, hasRealKernel, HOW_TO_GET_KERNEL, REAL_KERNEL_DIR, REAL_KVER, type FakeModule } from './helpers';

const temps = tempDirs();
afterEach(() => temps.cleanup());

const KVER = '9.9.9-test';

/** A small tree with the shapes that matter: a dependency chain, a softdep through an alias, a built-in. */
const MODULES: FakeModule[] = [
  { path: 'kernel/drivers/md/dm-mod.ko' },
  { path: 'kernel/drivers/md/dm-bufio.ko', depends: ['dm-mod'] },
  { path: 'kernel/lib/reed_solomon/reed_solomon.ko' },
  { path: 'kernel/drivers/md/dm-verity.ko', depends: ['reed_solomon', 'dm-mod', 'dm-bufio'] },
  { path: 'kernel/fs/ext4/ext4.ko', depends: ['jbd2', 'mbcache'], softdep: 'pre: crypto-crc32c' },
  { path: 'kernel/fs/jbd2/jbd2.ko' },
  { path: 'kernel/fs/mbcache.ko' },
  { path: 'kernel/crypto/crc32c_generic.ko', aliases: ['crypto-crc32c', 'crc32c-generic', 'crypto-crc32c-generic'] },
  { path: 'kernel/arch/x86/crypto/crc32c-intel.ko', aliases: ['crypto-crc32c', 'crc32c-intel'] },
  { path: 'kernel/fs/nls/nls_iso8859-1.ko' },
  { path: 'kernel/drivers/virtio/virtio_pci.ko', depends: ['virtio', 'virtio_ring'], softdep: 'post: pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00' },
  { path: 'kernel/drivers/virtio/virtio.ko' },
  { path: 'kernel/drivers/virtio/virtio_ring.ko' },
  { path: 'kernel/drivers/net/virtio_net.ko', aliases: ['pci:v00001AF4d0000100[0-9]sv*sd*bc*sc*i*'] },
  { path: 'kernel/drivers/block/loop.ko', depends: ['gone'] },
];

function tree(extra: Parameters<typeof fakeKernelTree>[3] = { builtin: ['kernel/lib/crc16.ko', 'kernel/fs/squashfs/squashfs.ko'] }) {
  return fakeKernelTree(temps.make(), KVER, MODULES, extra);
}

async function resolveIn(dir: string, modules: string[], optional: string[] = []) {
  return resolveModules(await loadModuleIndex((await findKernel(dir)).modulesDir), { modules, optional });
}

describe('parseModinfo', () => {
  it('reads name, depends, aliases and both kinds of softdep, normalizing - to _', () => {
    const info = parseModinfo(Buffer.from('license=GPL\0softdep=pre: crypto-crc32c foo post: bar-baz\0alias=fs-ext4\0depends=jbd2,mb-cache\0name=ext-4\0\0'));
    expect(info).toEqual({ name: 'ext_4', depends: ['jbd2', 'mb_cache'], aliases: ['fs-ext4'], softPre: ['crypto-crc32c', 'foo'], softPost: ['bar-baz'] });
    expect(parseModinfo(Buffer.from('depends=\0'))).toMatchObject({ depends: [] });
  });
});

describe('readModinfo', () => {
  it('finds .modinfo through the ELF section headers', async () => {
    const d = temps.make();
    writeFileSync(join(d, 'a.ko'), fakeKo([['depends', 'x,y'], ['name', 'a'], ['alias', 'b']]));
    expect(await readModinfo(join(d, 'a.ko'))).toEqual({ name: 'a', depends: ['x', 'y'], aliases: ['b'], softPre: [], softPost: [] });
  });
  it.each([
    ['not ELF', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]), /not an ELF file/],
    ['32-bit', fakeKo([['name', 'a']], { class32: true }), /64-bit little-endian/],
    ['truncated', fakeKo([['name', 'a']]).subarray(0, 80), /outside the file/],
  ])('refuses a %s file with ERR_BRINGUP_MODULE_UNREADABLE', async (_what, bytes, message) => {
    const d = temps.make();
    writeFileSync(join(d, 'a.ko'), bytes);
    const err = await readModinfo(join(d, 'a.ko')).catch((e) => e);
    expect(err).toMatchObject({ code: 'ERR_BRINGUP_MODULE_UNREADABLE' });
    expect(err.message).toMatch(message);
  });
  it('reads real Debian modules (ext4 softdep, crc32c alias, dm-verity depends)', async () => {
    if (!hasRealKernel) throw new Error(HOW_TO_GET_KERNEL);
    const md = join(REAL_KERNEL_DIR, 'lib/modules', REAL_KVER);
    expect(await readModinfo(join(md, 'kernel/fs/ext4/ext4.ko'))).toMatchObject({ name: 'ext4', softPre: ['crypto-crc32c'] });
    expect((await readModinfo(join(md, 'kernel/crypto/crc32c_generic.ko'))).aliases).toContain('crypto-crc32c');
    expect((await readModinfo(join(md, 'kernel/drivers/md/dm-verity.ko'))).depends.sort()).toEqual(['dm_bufio', 'dm_mod', 'reed_solomon']);
  });
});

describe('findKernel', () => {
  it('finds the one KVER and the vmlinuz beside it', async () => {
    const d = tree();
    expect(await findKernel(d)).toEqual({ dir: d, kver: KVER, modulesDir: join(d, 'lib/modules', KVER), vmlinuz: join(d, 'boot', `vmlinuz-${KVER}`) });
  });
  it('lists the versions and asks for --kver when there are several', async () => {
    const d = tree();
    mkdirSync(join(d, 'lib/modules/1.0.0-old'));
    await expect(findKernel(d)).rejects.toMatchObject({ code: 'ERR_BRINGUP_KVER_AMBIGUOUS', details: { versions: ['1.0.0-old', KVER] } });
    await expect(findKernel(d)).rejects.toThrow(/--kver/);
    expect((await findKernel(d, '1.0.0-old')).kver).toBe('1.0.0-old');
  });
  it('says what is missing', async () => {
    const d = temps.make();
    await expect(findKernel(d)).rejects.toMatchObject({ code: 'ERR_BRINGUP_KERNEL_NOT_FOUND' });
    await expect(findKernel(tree(), '1.2.3')).rejects.toMatchObject({ code: 'ERR_BRINGUP_KERNEL_NOT_FOUND', details: { versions: [KVER] } });
  });
});

describe('resolveModules', () => {
  it('puts every dependency before its dependents, in request order', async () => {
    const r = await resolveIn(tree(), ['dm_verity', 'virtio-pci']);
    expect(r.names).toEqual(['reed_solomon', 'dm_mod', 'dm_bufio', 'dm_verity', 'virtio', 'virtio_ring', 'virtio_pci', 'virtio_net']);
    expect(r.files[3]).toBe('kernel/drivers/md/dm-verity.ko');
  });
  it('loads softdep pre: modules first, through aliases, every match (as modprobe)', async () => {
    const r = await resolveIn(tree(), ['ext4']);
    expect(r.names).toEqual(['crc32c_generic', 'crc32c_intel', 'jbd2', 'mbcache', 'ext4']);
  });
  it('matches wildcard aliases for softdep post: and loads them after', async () => {
    const r = await resolveIn(tree(), ['virtio_pci']);
    expect(r.names.indexOf('virtio_net')).toBeGreaterThan(r.names.indexOf('virtio_pci'));
  });
  it('treats - and _ alike and skips built-in modules', async () => {
    const r = await resolveIn(tree(), ['nls_iso8859_1', 'crc16', 'squashfs']);
    expect(r.files).toEqual(['kernel/fs/nls/nls_iso8859-1.ko']);
    expect(r.builtin).toEqual(['crc16', 'squashfs']);
  });
  it('a softdep satisfied by a built-in alias adds nothing', async () => {
    const r = await resolveIn(tree({ builtinModinfo: ['crc32c_generic.alias=crypto-crc32c', 'crc32c_generic.license=GPL'] }), ['ext4']);
    expect(r.names).toEqual(['jbd2', 'mbcache', 'ext4']);
  });
  it('names a missing module, and the chain that needed it', async () => {
    await expect(resolveIn(tree(), ['nope'])).rejects.toMatchObject({ code: 'ERR_BRINGUP_MODULE_NOT_FOUND', details: { module: 'nope', chain: [] } });
    await expect(resolveIn(tree(), ['loop'], ['loop'])).rejects.toMatchObject({ code: 'ERR_BRINGUP_MODULE_NOT_FOUND', details: { module: 'gone', chain: ['loop'] } });
  });
  it('reports optional modules that are absent instead of failing', async () => {
    const r = await resolveIn(tree(), ['ahci', 'dm_mod', 'pvpanic-pci'], ['ahci', 'pvpanic_pci']);
    expect(r).toMatchObject({ names: ['dm_mod'], missing: ['ahci', 'pvpanic_pci'] });
  });
  it('uses modules.dep when the tree has one, instead of depends=', async () => {
    const d = tree();
    writeFileSync(join(d, 'lib/modules', KVER, 'modules.dep'), 'kernel/drivers/md/dm-mod.ko:\nkernel/fs/mbcache.ko:\nkernel/drivers/md/dm-bufio.ko: kernel/fs/mbcache.ko kernel/drivers/md/dm-mod.ko\n');
    expect((await resolveIn(d, ['dm-bufio'])).names).toEqual(['mbcache', 'dm_mod', 'dm_bufio']);
  });
  it('refuses a dependency loop', async () => {
    const d = fakeKernelTree(temps.make(), KVER, [{ path: 'a.ko', depends: ['b'] }, { path: 'b.ko', depends: ['a'] }]);
    await expect(resolveIn(d, ['a'])).rejects.toMatchObject({ code: 'ERR_BRINGUP_MODULE_UNREADABLE', details: { chain: ['a', 'b', 'a'] } });
  });
  it('orders the default list on the real Debian tree', async () => {
    if (!hasRealKernel) throw new Error(HOW_TO_GET_KERNEL);
    const r = await resolveModules(await loadModuleIndex(join(REAL_KERNEL_DIR, 'lib/modules', REAL_KVER)), { modules: DEFAULT_INITRD_MODULES, optional: OPTIONAL_INITRD_MODULES });
    const at = (n: string) => r.names.indexOf(n);
    for (const [before, after] of [
      ['dm_mod', 'dm_verity'], ['dm_bufio', 'dm_verity'], ['reed_solomon', 'dm_verity'], ['crc32c_generic', 'ext4'], ['jbd2', 'ext4'], ['mbcache', 'ext4'],
      ['crc16', 'ext4'], ['virtio', 'virtio_blk'], ['virtio_ring', 'virtio_pci'], ['fat', 'vfat'], ['scsi_mod', 'sd_mod'], ['pvpanic', 'pvpanic_mmio'],
    ]) {
      expect(r.names).toContain(before);
      expect({ before, after, ordered: at(before) < at(after) }).toEqual({ before, after, ordered: true });
    }
    for (const m of ['squashfs', 'overlay', 'loop', 'nls_iso8859_1', 'nls_cp437']) expect(r.names).toContain(m);
    expect(new Set(r.names).size).toBe(r.names.length);
    expect(r.missing).toEqual([]);
  });
});

describe('aliasMatches', () => {
  it.each([
    ['crypto-crc32c', 'crypto_crc32c', true],
    ['pci:v00001AF4d0000100[0-9]sv*', 'pci:v00001AF4d00001003sv00', true],
    ['pci:v00001AF4d0000100[!0-9]sv*', 'pci:v00001AF4d00001003sv00', false],
    ['fs-*', 'fs-ext4', true],
    ['fs-?', 'fs-ext4', false],
    ['a.b', 'axb', false],
  ])('%s ~ %s → %s', (pattern, word, expected) => expect(aliasMatches(pattern, word)).toBe(expected));
});
