// The tar reader/writer and the whiteout planner, against archives GNU tar writes (ustar, pax,
// GNU long names, sparse) and hand-made ones.
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planTar, readTar, rewriteTar, type TarHeader } from '@mos/atomfs';
// Internal: the encoder is not public API.
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../src/build/tar-writer';
import { writeTree } from '../helpers/fixtures';
import { sh, tempDir } from '../helpers/tmp';

async function entries(buf: Buffer | AsyncIterable<Buffer>): Promise<{ h: TarHeader; data: string }[]> {
  const src = Buffer.isBuffer(buf) ? chunked(buf, 777) : buf; // odd chunk size: headers straddle chunks
  const out: { h: TarHeader; data: string }[] = [];
  for await (const ev of readTar(src)) {
    if (ev.kind === 'entry') out.push({ h: ev.header, data: '' });
    else out[out.length - 1].data += ev.chunk.toString('latin1');
  }
  return out;
}
async function* chunked(b: Buffer, n: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}
const hdr = (name: string, extra: Partial<TarHeader> = {}): TarHeader => ({
  name,
  type: '0',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  linkname: '',
  devmajor: 0,
  devminor: 0,
  xattrs: {},
  ...extra,
});
const archive = (...parts: { h: TarHeader; data?: string }[]) =>
  Buffer.concat([
    ...parts.flatMap(({ h, data = '' }) => [encodeHeader({ ...h, size: data.length }), Buffer.from(data, 'latin1'), Buffer.alloc(padding(data.length))]),
    END_OF_ARCHIVE,
  ]);

describe('tar reader', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it.each(['gnu', 'posix', 'ustar'])('reads what GNU tar --format=%s writes, long names included', async (format) => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(30)}`;
    const src = join(t.dir, `src-${format}`);
    // ustar has no long link names (the prefix field only splits member names).
    const target = format === 'ustar' ? 'short/target' : `${long}/file`;
    writeTree(src, { [`${long}/file`]: 'content\n', link: { symlink: target } });
    const tar = join(t.dir, `${format}.tar`);
    sh('tar', ['-c', '-f', tar, '-C', src, `--format=${format}`, '--sort=name', '.']);
    const es = await entries(readFileSync(tar));
    const byName = new Map(es.map((e) => [e.h.name.replace(/^\.\//, ''), e]));
    expect(byName.get(`${long}/file`)).toMatchObject({ h: { type: '0', size: 8 }, data: 'content\n' });
    expect(byName.get('link')!.h).toMatchObject({ type: '2', linkname: target });
  });

  it('round-trips pax records: non-ASCII names, binary xattrs, big ids', async () => {
    const x = Buffer.from([0, 1, 2, 255, 10, 61]);
    const h = hdr('dir/ünïcödé-name', { uid: 3_000_000, gid: 70000, xattrs: { 'security.capability': x, 'user.k': Buffer.from('v') } });
    const [e] = await entries(archive({ h, data: 'abc' }));
    expect(e.h).toMatchObject({ name: 'dir/ünïcödé-name', uid: 3_000_000, gid: 70000, size: 3 });
    expect(e.h.xattrs['security.capability'].equals(x)).toBe(true);
    expect(e.data).toBe('abc');
  });

  it('refuses sparse entries, bad checksums and truncated archives', async () => {
    const sparse = join(t.dir, 'sparse');
    writeFileSync(sparse, 'x');
    truncateSync(sparse, 10 << 20);
    for (const format of ['gnu', 'posix']) {
      const tar = join(t.dir, `sparse-${format}.tar`);
      sh('tar', ['-c', '-f', tar, '-C', t.dir, '--sparse', `--format=${format}`, 'sparse']);
      await expect(entries(readFileSync(tar))).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_TAR' });
    }
    const good = archive({ h: hdr('a'), data: 'hello' });
    const bad = Buffer.from(good);
    bad[10] ^= 1;
    await expect(entries(bad)).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_TAR' });
    await expect(entries(good.subarray(0, 600))).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_TAR' });
  });
});

describe('whiteout planning and rewriting', () => {
  async function rewritten(buf: Buffer) {
    const plan = await planTar(chunked(buf, 512));
    const out: Buffer[] = [];
    for await (const c of rewriteTar(chunked(buf, 1000), plan)) out.push(c);
    return (await entries(Buffer.concat(out))).map((e) => ({
      name: e.h.name,
      type: e.h.type,
      dev: e.h.type === '3' ? `${e.h.devmajor},${e.h.devminor}` : undefined,
      xattrs: Object.fromEntries(Object.entries(e.h.xattrs).map(([k, v]) => [k, v.toString()])),
      data: e.data,
    }));
  }

  it('emits directories before their contents, opaque dirs with the xattr, whiteouts as 0/0 devices', async () => {
    const r = await rewritten(
      archive(
        { h: hdr('./', { type: '5', mode: 0o755 }) },
        { h: hdr('a/x'), data: 'x' },
        { h: hdr('a/.wh..wh..opq') },
        { h: hdr('a/', { type: '5', mode: 0o700, xattrs: { 'trusted.overlay.redirect': Buffer.from('/evil'), 'user.keep': Buffer.from('1') } }) },
        { h: hdr('.wh.gone') },
        { h: hdr('b/.wh.mine') },
        { h: hdr('b/mine'), data: 'own' },
        { h: hdr('dup'), data: 'first' },
        { h: hdr('dup'), data: 'second' },
      ),
    );
    expect(r).toEqual([
      { name: 'a/', type: '5', dev: undefined, xattrs: { 'user.keep': '1', 'user.overlay.opaque': 'y' }, data: '' },
      { name: 'a/x', type: '0', dev: undefined, xattrs: {}, data: 'x' },
      { name: 'gone', type: '3', dev: '0,0', xattrs: {}, data: '' },
      { name: 'b/mine', type: '0', dev: undefined, xattrs: {}, data: 'own' },
      { name: 'dup', type: '0', dev: undefined, xattrs: {}, data: 'second' },
    ]);
  });

  it.each([
    ['../escape', 'ERR_ATOMFS_UNSAFE_PATH'],
    ['/abs', 'ERR_ATOMFS_UNSAFE_PATH'],
    ['a/../../b', 'ERR_ATOMFS_UNSAFE_PATH'],
    ['dir/.wh.', 'ERR_ATOMFS_BAD_WHITEOUT'],
    ['.wh..wh.other', 'ERR_ATOMFS_BAD_WHITEOUT'],
    ['.wh..wh..opq', 'ERR_ATOMFS_BAD_WHITEOUT'],
  ])('refuses the member name %j', async (name, code) => {
    await expect(planTar(chunked(archive({ h: hdr(name) }), 512))).rejects.toMatchObject({ code });
  });

  it('refuses a hard link that points outside the layer', async () => {
    await expect(planTar(chunked(archive({ h: hdr('l', { type: '1', linkname: '../../etc/shadow' }) }), 512))).rejects.toMatchObject({ code: 'ERR_ATOMFS_UNSAFE_PATH' });
  });
});
