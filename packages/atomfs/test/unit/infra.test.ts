// Small infrastructure: mountinfo parsing, the scratch lock, path checks, superblock codecs.
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeVeritySuperblock, encodeVeritySuperblock, verityGeometry } from '@mos/atomfs';
// Internals without a public API.
import { mountAt, overlayLowerdirs, parseMountinfo } from '../../src/lib/mountinfo';
import { withLock } from '../../src/lib/lock';
import { assertMountPath, normalizeMemberPath } from '../../src/lib/paths';
import { tempDir } from '../helpers/tmp';

describe('mountinfo', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '90 22 0:50 / /mnt/with\\040space ro,relatime shared:5 - squashfs /dev/loop3 ro,errors=continue',
    '91 22 0:51 / /mnt/root ro,relatime shared:6 - overlay overlay ro,lowerdir=/s/layers/b:/s/layers/a,index=off,userxattr',
    '92 22 0:52 / /mnt/root rw,relatime - tmpfs tmpfs rw',
  ].join('\n');
  it('parses optional fields, escapes and stacked mounts', () => {
    const m = parseMountinfo(text);
    expect(m[1]).toMatchObject({ mountPoint: '/mnt/with space', fstype: 'squashfs', source: '/dev/loop3' });
    expect(mountAt(m, '/mnt/root')?.fstype).toBe('tmpfs'); // the last mount on a path is the visible one
    expect(overlayLowerdirs(m[2])).toEqual(['/s/layers/b', '/s/layers/a']);
  });
});

describe('scratch lock', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  it('serialises holders and takes over a lock whose holder is dead', async () => {
    const lock = join(t.dir, 'lock');
    const order: string[] = [];
    await Promise.all([
      withLock(lock, async () => {
        order.push('a-in');
        await new Promise((r) => setTimeout(r, 50));
        order.push('a-out');
      }),
      withLock(lock, async () => {
        order.push('b-in');
        order.push('b-out');
      }),
    ]);
    expect(order.join(' ')).toMatch(/^(a-in a-out b-in b-out|b-in b-out a-in a-out)$/);
    writeFileSync(lock, '999999999\n'); // no such pid
    await withLock(lock, async () => expect(existsSync(lock)).toBe(true));
    expect(existsSync(lock)).toBe(false);
  });
  it('times out with a typed error while a live process holds it', async () => {
    const lock = join(t.dir, 'held');
    writeFileSync(lock, `${process.pid}\n`);
    await expect(withLock(lock, async () => undefined, 100)).rejects.toMatchObject({ code: 'ERR_ATOMFS_LOCK_TIMEOUT' });
  });
});

describe('paths', () => {
  it('normalises member paths and refuses escapes', () => {
    expect(normalizeMemberPath('./a//b/./c/')).toBe('a/b/c');
    expect(normalizeMemberPath('./')).toBe('');
    for (const bad of ['../a', 'a/../..', '/etc', 'a\0b']) expect(() => normalizeMemberPath(bad)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_UNSAFE_PATH' }));
  });
  it('refuses mount paths overlay options cannot carry', () => {
    expect(assertMountPath('/a/b-c_d.e', 'x')).toBe('/a/b-c_d.e');
    for (const bad of ['rel', '/a,b', '/a:b', '/a b', '/a\\b', '/a\nb']) expect(() => assertMountPath(bad, 'x')).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_UNSAFE_PATH' }));
  });
});

describe('verity superblock and geometry', () => {
  it('round-trips and rejects what it cannot verify', () => {
    const sb = { hashType: 1, uuid: '01234567-89ab-cdef-0123-456789abcdef', algorithm: 'sha256', dataBlockSize: 4096, hashBlockSize: 4096, dataBlocks: 74, salt: Buffer.alloc(32, 9) };
    expect(decodeVeritySuperblock(encodeVeritySuperblock(sb))).toEqual(sb);
    const bad = encodeVeritySuperblock({ ...sb, algorithm: 'sha1' });
    expect(() => decodeVeritySuperblock(bad)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BAD_VERITY_SUPERBLOCK' }));
    expect(() => encodeVeritySuperblock({ ...sb, uuid: 'nope' })).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_BAD_ARGUMENT' }));
  });
  it.each([
    [1, 0, []],
    [74, 1, [1]],
    [128, 1, [1]],
    [129, 2, [2, 1]],
    [16385, 3, [129, 2, 1]],
  ])('%i data blocks → %i levels', (n, levels, blocks) => {
    const g = verityGeometry({ dataBlocks: n, hashOffset: n * 4096 });
    expect(g.levels).toBe(levels);
    expect(g.levelBlocks).toEqual(blocks);
    expect(g.end).toBe(n * 4096 + 4096 + 4096 * blocks.reduce((a, b) => a + b, 0));
    if (levels) expect(g.levelOffset[levels - 1]).toBe(n * 4096 + 4096); // top level first
  });
});
