// Squashfs superblock parsing and verity-area detection against real mksquashfs output.
import { mkdirSync, writeFileSync, appendFileSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AtomfsError, checkVerityPresence, formatVerity, locateVerity, parseSquashfsSuperblock, readSquashfsSuperblock } from '@mos/atomfs';
import { sh, tempDir } from '../helpers/tmp';

describe('squashfs superblock', () => {
  const t = tempDir();
  let img: string;
  beforeAll(() => {
    const src = join(t.dir, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc', 'hello'), 'hello\n'.repeat(1000));
    img = join(t.dir, 'img.sqfs');
    sh('mksquashfs', [src, img, '-comp', 'zstd', '-noappend', '-quiet', '-no-progress']);
  });
  afterAll(t.cleanup);

  it('agrees with unsquashfs -s', async () => {
    const sb = await readSquashfsSuperblock(img);
    const s = sh('unsquashfs', ['-s', img]).out;
    expect(s).toContain(`Compression ${sb.compressionName}`);
    expect(sb.compressionName).toBe('zstd');
    expect(s).toContain(`Filesystem size ${sb.bytesUsed} bytes`);
    expect(s).toContain(`Block size ${sb.blockSize}`);
    expect(s).toContain(`Number of inodes ${sb.inodes}`);
  });

  it('finds the verity area at roundup(bytes_used, 4096) and tells the two refusals apart', async () => {
    const before = await locateVerity(img);
    expect(before.hashOffset % 4096).toBe(0);
    expect(before.hashOffset).toBe(statSync(img).size);
    expect(before.hasVerityData).toBe(false);
    expect(() => checkVerityPresence(before, 'ab'.repeat(32))).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_VERITY_MISSING' }));
    expect(() => checkVerityPresence(before, undefined)).not.toThrow();
    const { rootHash } = await formatVerity(img);
    const after = await locateVerity(img);
    expect(after).toMatchObject({ hashOffset: before.hashOffset, hasVerityData: true });
    expect(() => checkVerityPresence(after, undefined)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_ROOT_HASH_MISSING' }));
    expect(() => checkVerityPresence(after, rootHash)).not.toThrow();
    // A second format would stack a tree on a tree: refused.
    await expect(formatVerity(img)).rejects.toMatchObject({ code: 'ERR_ATOMFS_VERITY_PRESENT' });
    // unsquashfs ignores the appended data.
    expect(sh('unsquashfs', ['-lln', img]).out).toContain('squashfs-root/etc/hello');
  });

  it('rejects non-squashfs and inconsistent headers', async () => {
    expect(() => parseSquashfsSuperblock(Buffer.alloc(96))).toThrow(AtomfsError);
    const good = readFileSync(img).subarray(0, 96);
    const badLog = Buffer.from(good);
    badLog.writeUInt16LE(5, 22);
    expect(() => parseSquashfsSuperblock(badLog)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_NOT_SQUASHFS' }));
    const badVer = Buffer.from(good);
    badVer.writeUInt16LE(3, 28);
    expect(() => parseSquashfsSuperblock(badVer)).toThrow(expect.objectContaining({ code: 'ERR_ATOMFS_NOT_SQUASHFS' }));
    // An image shorter than roundup(bytes_used) (-nopad or truncated) is refused.
    const nopad = join(t.dir, 'nopad.sqfs');
    sh('mksquashfs', [join(t.dir, 'src'), nopad, '-comp', 'zstd', '-noappend', '-quiet', '-no-progress', '-nopad']);
    if (statSync(nopad).size % 4096 !== 0) {
      await expect(locateVerity(nopad)).rejects.toMatchObject({ code: 'ERR_ATOMFS_NOT_SQUASHFS' });
    }
    const plain = join(t.dir, 'plain');
    writeFileSync(plain, Buffer.alloc(8192));
    appendFileSync(plain, '');
    await expect(locateVerity(plain)).resolves.toMatchObject({ squashfs: null, hashOffset: 8192 });
  });
});
