// buildLayer with real mksquashfs: the expected trees (checked with `unsquashfs -lln`),
// whiteout conversion, reproducibility, and refusal of hostile tars.
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildLayer, locateVerity, verifyVerity } from '@mos/atomfs';
import { busyboxLayers, tarOf, writeTree } from '../helpers/fixtures';
import { sh, tempDir } from '../helpers/tmp';

/** `unsquashfs -lln` as "mode uid/gid path[ -> target]" lines (sizes and times dropped). */
function listing(img: string): string[] {
  return sh('unsquashfs', ['-lln', img])
    .out.split('\n')
    .filter((l) => l.includes('squashfs-root'))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const path = l.slice(l.indexOf('squashfs-root') + 'squashfs-root'.length) || '/';
      const isDev = f[0].startsWith('c') || f[0].startsWith('b');
      return `${f[0]} ${f[1]}${isDev ? ` ${f[2]}${f[3]}` : ''} ${path}`;
    });
}

describe('buildLayer (mksquashfs, real)', () => {
  const t = tempDir();
  let L: ReturnType<typeof busyboxLayers>;
  beforeAll(() => {
    L = busyboxLayers(t.dir);
  });
  afterAll(t.cleanup);

  it('builds the base layer with verity appended', async () => {
    const out = join(t.dir, 'base.sqfs');
    const r = await buildLayer({ source: L.base, out });
    expect(r.compression).toBe('zstd');
    expect(r.rootHash).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(out).size).toBe(r.size);
    expect(await locateVerity(out)).toMatchObject({ hashOffset: r.hashOffset, hasVerityData: true });
    await verifyVerity(out, r.rootHash!);
    expect(sh('unsquashfs', ['-s', out]).out).toContain('Compression zstd');
    expect(listing(out)).toEqual([
      'drwxr-xr-x 0/0 /',
      'drwxr-xr-x 0/0 /bin',
      '-rwxr-xr-x 0/0 /bin/busybox',
      'lrwxrwxrwx 0/0 /bin/cat -> busybox',
      'lrwxrwxrwx 0/0 /bin/ls -> busybox',
      'lrwxrwxrwx 0/0 /bin/sh -> busybox',
      'drwxr-xr-x 0/0 /etc',
      '-rw-r--r-- 0/0 /etc/hostname',
      '-rw-r--r-- 0/0 /etc/motd',
      '-rw-r--r-- 0/0 /etc/passwd',
      'drwxr-xr-x 0/0 /opt',
      'drwxr-xr-x 0/0 /opt/old',
      '-rw-r--r-- 0/0 /opt/old/a',
      '-rw-r--r-- 0/0 /opt/old/b',
      'drwxr-xr-x 0/0 /srv',
      '-rw-r--r-- 0/0 /srv/x',
      'drwxr-xr-x 0/0 /tmp',
    ]);
  });

  it('turns .wh. files into 0/0 char devices and drops the markers', async () => {
    const out = join(t.dir, 'del.sqfs');
    await buildLayer({ source: L.del, out });
    expect(listing(out)).toEqual([
      'drwxr-xr-x 0/0 /',
      'drwxr-xr-x 0/0 /etc',
      '-rw-r--r-- 0/0 /etc/added',
      'c--------- 0/0 0,0 /etc/hostname',
      '-rw-r--r-- 0/0 /etc/passwd',
      'c--------- 0/0 0,0 /srv',
    ]);
  });

  it('drops the opaque marker (the dir gets user.overlay.opaque; the mount tests check its effect)', async () => {
    const out = join(t.dir, 'opq.sqfs');
    await buildLayer({ source: L.opq, out });
    expect(listing(out)).toEqual(['drwxr-xr-x 0/0 /', 'drwxr-xr-x 0/0 /bin', '-rw-r--r-- 0/0 /bin/hello', 'drwxr-xr-x 0/0 /opt', '-rw-r--r-- 0/0 /opt/new']);
  });

  it('gives the same squashfs for a directory, its tar and its tar.gz, and is reproducible', async () => {
    const salt = '11'.repeat(32);
    const uuid = '00000000-0000-4000-8000-000000000001';
    const a = await buildLayer({ source: join(t.dir, 'src-del'), out: join(t.dir, 'r-dir.sqfs'), salt, uuid });
    const b = await buildLayer({ source: L.del, out: join(t.dir, 'r-tar.sqfs'), salt, uuid });
    writeFileSync(join(t.dir, 'del.tar.gz'), gzipSync(readFileSync(L.del)));
    const c = await buildLayer({ source: join(t.dir, 'del.tar.gz'), out: join(t.dir, 'r-gz.sqfs'), salt, uuid });
    const d = await buildLayer({ source: L.del, out: join(t.dir, 'r-tar2.sqfs'), salt, uuid });
    expect(new Set([a.rootHash, b.rootHash, c.rootHash, d.rootHash]).size).toBe(1);
    expect(readFileSync(b.path).equals(readFileSync(d.path))).toBe(true);
    // A plain directory (no .wh. files) goes to mksquashfs directly.
    const e = await buildLayer({ source: join(t.dir, 'src-base'), out: join(t.dir, 'r-base-dir.sqfs') });
    expect(listing(e.path)).toEqual(listing(join(t.dir, 'base.sqfs')));
  });

  it('refuses hostile tars with a typed error and leaves no output file', async () => {
    const cases: [string, string[], string][] = [
      ['dotdot', ['-c', '-f', '-', '-P', '--transform=s,^,../,', 'x'], 'ERR_ATOMFS_UNSAFE_PATH'],
      ['absolute', ['-c', '-f', '-', '-P', '--transform=s,^,/,', 'x'], 'ERR_ATOMFS_UNSAFE_PATH'],
      ['empty-whiteout', ['-c', '-f', '-', '--transform=s,^x$,.wh.,', 'x'], 'ERR_ATOMFS_BAD_WHITEOUT'],
    ];
    writeTree(join(t.dir, 'hostile'), { x: 'x\n' });
    for (const [name, args, code] of cases) {
      const tar = join(t.dir, `${name}.tar`);
      sh('sh', ['-c', `cd ${join(t.dir, 'hostile')} && tar ${args.map((a) => `'${a}'`).join(' ')} > ${tar}`]);
      const out = join(t.dir, `${name}.sqfs`);
      await expect(buildLayer({ source: tar, out })).rejects.toMatchObject({ code });
      expect(existsSync(out)).toBe(false);
    }
    const garbage = join(t.dir, 'garbage.tar');
    writeFileSync(garbage, Buffer.alloc(1024, 7));
    await expect(buildLayer({ source: garbage, out: join(t.dir, 'g.sqfs') })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_TAR' });
    expect(existsSync(join(t.dir, 'g.sqfs'))).toBe(false);
  });

  it('converts a whiteout of a directory the same layer re-creates into an opaque directory', async () => {
    const src = join(t.dir, 'src-recreate');
    writeTree(src, { '.wh.opt': '', 'opt/fresh': 'fresh\n' });
    const out = join(t.dir, 'recreate.sqfs');
    await buildLayer({ source: tarOf(src, join(t.dir, 'recreate.tar')), out });
    expect(listing(out)).toEqual(['drwxr-xr-x 0/0 /', 'drwxr-xr-x 0/0 /opt', '-rw-r--r-- 0/0 /opt/fresh']);
  });
});
