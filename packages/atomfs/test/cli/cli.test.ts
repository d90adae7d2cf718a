// The atomfs CLI: strict parsing, --help everywhere, one-line errors, documented exit codes, and
// an end-to-end build → mount → ls → verify → umount (umount from another process).
import { openSync, closeSync, writeSync, readdirSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cli, cliProcess } from '../helpers/cli';
import { busyboxLayers } from '../helpers/fixtures';
import { forceCleanup, loopsUnder, mountsUnder } from '../helpers/mounts';
import { flipByte, sh, tempDir } from '../helpers/tmp';

describe('atomfs CLI', () => {
  const t = tempDir();
  afterEach(() => expect(forceCleanup(t.dir)).toEqual([]));
  afterAll(() => {
    forceCleanup(t.dir);
    t.cleanup();
  });

  it('has --help on every command and level', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of ['mount', 'umount', 'verify', 'ls', 'build', 'verity format', 'verity verify', 'verity dump']) {
      expect(top.out).toContain(c);
      const h = await cli(...c.split(' '), '--help');
      expect(h).toMatchObject({ code: 0, out: expect.stringContaining(`usage: atomfs ${c} `) });
      expect(h.out).toContain('--json');
    }
    expect((await cli('verity', '--help')).out).toContain('verity dump');
    expect((await cli()).code).toBe(0);
  });

  it('rejects unknown commands and flags and wrong argument counts with exit 2 and one line', async () => {
    const cases = [['frobnicate'], ['mount', '--bogus', 'a', 'b'], ['verity', 'verify', 'onlyone'], ['umount'], ['mount', '--backend', 'nope', 'oci:x:y', '/tmp/x'], ['verity']];
    for (const argv of cases) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^atomfs/);
    }
  });

  it('formats, verifies and dumps verity data; corruption exits 3', async () => {
    const f = join(t.dir, 'data');
    const fd = openSync(f, 'w');
    writeSync(fd, randomBytes(300 * 4096));
    closeSync(fd);
    const salt = '5a'.repeat(32);
    const uuid = '12345678-1234-4234-8234-123456789abc';
    const fmt = await cli('verity', 'format', '--salt', salt, '--uuid', uuid, f);
    expect(fmt.code).toBe(0);
    const root = fmt.out.trim();
    expect(root).toMatch(/^[0-9a-f]{64}$/);
    const off = String(300 * 4096);
    expect(sh('veritysetup', ['verify', f, f, root, `--hash-offset=${off}`], { allowFail: true }).code).toBe(0);
    expect(await cli('verity', 'verify', '--hash-offset', off, f, root)).toMatchObject({ code: 0, out: expect.stringMatching(/^OK/) });
    const dump = await cli('verity', 'dump', '--hash-offset', off, '--json', f);
    expect(JSON.parse(dump.out)).toMatchObject({ uuid, salt, dataBlocks: 300, hashBlockSize: 4096, levels: 2 });
    flipByte(f, 4096 * 7 + 3);
    const bad = await cli('verity', 'verify', '--hash-offset', off, f, root);
    expect(bad.code).toBe(3);
    expect(bad.err).toBe(`atomfs verity verify: ${f}: data block 7 (offset 28672) is corrupt\n`);
    const badJson = await cli('verity', 'verify', '--hash-offset', off, '--json', f, root);
    expect(JSON.parse(badJson.err)).toMatchObject({ error: { code: 'ERR_ATOMFS_DATA_BLOCK_CORRUPT', block: 7 } });
    expect((await cli('verity', 'verify', '--hash-offset', off, f, 'zz')).code).toBe(2);
  });

  it('builds, mounts, lists, verifies and (from another process) unmounts an image', async () => {
    const L = busyboxLayers(t.dir);
    const layout = join(t.dir, 'oci');
    const scratch = join(t.dir, 'scratch');
    const dest = join(t.dir, 'root');
    const b = await cli('build', '--layout', layout, '--tag', 'v1', '--cmd', '/bin/sh', '--env', 'A=B', '--json', L.base, L.del, L.opq);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out).layers).toHaveLength(3);
    const m = await cli('mount', '--writable', '--scratch', scratch, `oci:${layout}:v1`, dest);
    expect(m.code).toBe(0);
    expect(m.out).toContain('verified-loop');
    expect(m.out).toContain('verified at mount, not enforced on read');
    try {
      expect(readdirSync(join(dest, 'opt'))).toEqual(['new']);
      const ls = await cli('ls', '--scratch', scratch, '--json');
      expect(JSON.parse(ls.out)).toMatchObject([{ dest, mounted: true, writable: true, source: { image: `oci:${layout}:v1` } }]);
      // verify and ls from another process find everything under scratch (verify reads scratch off the overlay).
      const v = cliProcess('verify', dest);
      expect(v).toMatchObject({ code: 0, out: expect.stringContaining(`${dest}: OK`) });
      expect(cliProcess('ls', '--scratch', scratch).out).toContain(dest);
      expect((await cli('mount', '--scratch', scratch, `oci:${layout}:v1`, dest)).code).toBe(5);
    } finally {
      const u = cliProcess('umount', dest);
      expect(u).toMatchObject({ code: 0, out: expect.stringContaining('released 3 layer mount(s)') });
    }
    expect(mountsUnder(t.dir)).toEqual([]);
    expect(loopsUnder(t.dir)).toEqual([]);
    expect((await cli('umount', '--scratch', scratch, dest)).code).toBe(4);
    expect((await cli('verify', '--scratch', scratch, dest)).code).toBe(4);

    // A corrupted layer blob: mount exits 3 and leaves nothing mounted.
    const manifest = JSON.parse(sh('skopeo', ['inspect', '--raw', `oci:${layout}:v1`]).out);
    flipByte(join(layout, 'blobs/sha256', manifest.layers[0].digest.slice(7)), 5000);
    const r = await cli('mount', '--scratch', scratch, `oci:${layout}:v1`, dest);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^atomfs mount: .*data block 1 \(offset 4096\) is corrupt\n$/);
    expect(mountsUnder(t.dir)).toEqual([]);
    expect(existsSync(join(scratch, 'layers', manifest.layers[0].digest.slice(7)))).toBe(false);
  });
});
