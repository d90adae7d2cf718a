import { execFileSync } from 'node:child_process';
import { chmodSync, createWriteStream, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { cpioNewc, sortCpioEntries, type CpioEntry } from '@mos/bringup';
import { tempDirs } from '@mos/test-utils';
import { cpioListing } from './helpers';

const temps = tempDirs();
afterEach(() => temps.cleanup());

async function write(entries: CpioEntry[], file: string, mtime?: number): Promise<string> {
  await pipeline(cpioNewc(entries, { mtime }), createWriteStream(file));
  return file;
}

function sampleEntries(src: string): CpioEntry[] {
  writeFileSync(join(src, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 5, 7));
  writeFileSync(join(src, 'odd.txt'), 'abc'); // 3 bytes: data padding
  chmodSync(join(src, 'odd.txt'), 0o640);
  symlinkSync('odd.txt', join(src, 'via-link')); // a source that is a symlink: its target's bytes go in
  return [
    { type: 'file', path: '/usr/lib/big.bin', source: join(src, 'big.bin'), mode: 0o755 },
    { type: 'file', path: 'etc/odd.txt', source: join(src, 'via-link') },
    { type: 'file', path: 'init', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
    { type: 'symlink', path: 'lib64', target: 'usr/lib' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'block', path: 'dev/vda', major: 254, minor: 0, mode: 0o660 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'empty' },
  ];
}

describe('cpioNewc', () => {
  it('GNU cpio lists what we wrote: types, modes, owners, sizes, device numbers, link targets', async () => {
    const d = temps.make();
    const src = join(d, 'src');
    mkdirSync(src);
    const archive = await write(sampleEntries(src), join(d, 'a.cpio'));
    const list = cpioListing(archive);
    expect(list.map((e) => e.name)).toEqual([
      'bin', 'bin/sh', 'dev', 'dev/console', 'dev/null', 'dev/vda', 'empty', 'etc', 'etc/odd.txt', 'init', 'lib64', 'tmp', 'usr', 'usr/lib', 'usr/lib/big.bin',
    ]);
    const by = Object.fromEntries(list.map((e) => [e.name, e]));
    expect(list.every((e) => e.owner === 'root' && e.group === 'root')).toBe(true);
    expect(by['bin']).toMatchObject({ mode: 'drwxr-xr-x', nlink: 2 });
    expect(by['tmp']).toMatchObject({ mode: 'drwxrwxrwt' });
    expect(by['bin/sh']).toMatchObject({ mode: 'lrwxrwxrwx', target: '/bin/busybox', size: 12 });
    expect(by['dev/console']).toMatchObject({ mode: 'crw-------', dev: [5, 1] });
    expect(by['dev/null']).toMatchObject({ mode: 'crw-rw-rw-', dev: [1, 3] });
    expect(by['dev/vda']).toMatchObject({ mode: 'brw-rw----', dev: [254, 0] });
    expect(by['etc/odd.txt']).toMatchObject({ mode: '-rw-r-----', size: 3, nlink: 1 });
    expect(by['usr/lib/big.bin']).toMatchObject({ mode: '-rwxr-xr-x', size: 3 * 1024 * 1024 + 5 });
    expect(by['init']).toMatchObject({ mode: '-rwxr-xr-x', size: 18 });
  });

  it('GNU cpio -idm extracts the same files, contents, modes, link targets and device nodes', async () => {
    const d = temps.make();
    const src = join(d, 'src');
    const out = join(d, 'out');
    mkdirSync(src);
    mkdirSync(out);
    const archive = await write(sampleEntries(src), join(d, 'a.cpio'), 1_700_000_000);
    execFileSync('cpio', ['-idm', '--quiet', '-F', archive], { cwd: out });
    expect(readFileSync(join(out, 'usr/lib/big.bin')).equals(readFileSync(join(src, 'big.bin')))).toBe(true);
    expect(readFileSync(join(out, 'etc/odd.txt'), 'utf8')).toBe('abc');
    expect(lstatSync(join(out, 'etc/odd.txt')).isFile()).toBe(true);
    expect(readFileSync(join(out, 'init'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(join(out, 'init')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(out, 'init')).mtimeMs).toBe(1_700_000_000_000);
    expect(readlinkSync(join(out, 'bin/sh'))).toBe('/bin/busybox');
    expect(readlinkSync(join(out, 'lib64'))).toBe('usr/lib');
    // Device nodes need CAP_MKNOD; this suite runs as root on the CI machine kind.
    const con = statSync(join(out, 'dev/console'));
    expect(con.isCharacterDevice()).toBe(true);
    expect([Math.floor(con.rdev / 256), con.rdev % 256]).toEqual([5, 1]);
    const vda = statSync(join(out, 'dev/vda'));
    expect(vda.isBlockDevice()).toBe(true);
    expect(statSync(join(out, 'tmp')).mode & 0o7777).toBe(0o1777);
  });

  it('lays out the newc bytes: magic, 110-byte header, NUL-padded name, 4-byte padded data, sequential inodes, trailer', async () => {
    const d = temps.make();
    const bytes = readFileSync(await write([{ type: 'file', path: 'ab', data: 'xyz', mode: 0o644 }], join(d, 'a.cpio')));
    const field = (off: number, i: number) => parseInt(bytes.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    expect(bytes.toString('ascii', 0, 6)).toBe('070701');
    expect(field(0, 0)).toBe(1); // ino
    expect(field(0, 1)).toBe(0o100644);
    expect(field(0, 6)).toBe(3); // filesize
    expect(field(0, 11)).toBe(3); // namesize "ab\0"
    // header + name = 113 bytes, NUL-padded to 116; 3 data bytes padded to 4 → the trailer at 120.
    expect(bytes.toString('latin1', 110, 116)).toBe('ab\0\0\0\0');
    expect(bytes.toString('ascii', 116, 120)).toBe('xyz\0');
    expect(bytes.toString('ascii', 120, 126)).toBe('070701');
    expect(bytes.toString('ascii', 120 + 110, 120 + 120)).toBe('TRAILER!!!');
    expect(bytes.length % 4).toBe(0);
  });

  it('is the same bytes whatever the input order and the sources\' mtimes', async () => {
    const d = temps.make();
    const src = join(d, 'src');
    mkdirSync(src);
    const entries = sampleEntries(src);
    const a = readFileSync(await write(entries, join(d, 'a.cpio')));
    execFileSync('touch', ['-d', '2001-02-03', join(src, 'big.bin'), join(src, 'odd.txt')]);
    const b = readFileSync(await write([...entries].reverse(), join(d, 'b.cpio')));
    expect(a.equals(b)).toBe(true);
  });

  it('streams files in bounded chunks instead of reading them whole', async () => {
    const d = temps.make();
    writeFileSync(join(d, 'f'), Buffer.alloc(8 * 1024 * 1024));
    let largest = 0;
    for await (const chunk of cpioNewc([{ type: 'file', path: 'f', source: join(d, 'f') }])) largest = Math.max(largest, chunk.length);
    expect(largest).toBeLessThanOrEqual(1024 * 1024);
  });

  it('refuses a missing source with ERR_BRINGUP_FILE_NOT_FOUND', async () => {
    const d = temps.make();
    await expect(write([{ type: 'file', path: 'x', source: join(d, 'nope') }], join(d, 'a.cpio'))).rejects.toMatchObject({ code: 'ERR_BRINGUP_FILE_NOT_FOUND' });
  });
});

describe('sortCpioEntries', () => {
  it('adds missing parents and puts every parent before its children, bytewise', () => {
    const paths = sortCpioEntries([
      { type: 'file', path: 'a/b/c', data: '' },
      { type: 'file', path: 'a.b', data: '' },
      { type: 'dir', path: '/a/', mode: 0o700 },
      { type: 'file', path: 'B', data: '' },
    ]).map((e) => [e.path, e.type === 'dir' ? e.mode : undefined]);
    expect(paths).toEqual([['B', undefined], ['a', 0o700], ['a.b', undefined], ['a/b', undefined], ['a/b/c', undefined]]);
  });
  it.each([
    [[{ type: 'file', path: 'x', data: '' }, { type: 'file', path: '/x', data: '' }], /two archive members at \/x/],
    [[{ type: 'file', path: 'x', data: '' }, { type: 'file', path: 'x/y', data: '' }], /not a directory/],
    [[{ type: 'file', path: 'x/y', data: '' }, { type: 'symlink', path: 'x', target: 'z' }], /not a directory/],
    [[{ type: 'file', path: '../x', data: '' }], /not a usable path/],
    [[{ type: 'file', path: '/', data: '' }], /not a usable path/],
    [[{ type: 'file', path: 'TRAILER!!!', data: '' }], /reserved/],
  ] as Array<[CpioEntry[], RegExp]>)('refuses bad members (%#)', (entries, message) => {
    let err: unknown;
    try {
      sortCpioEntries(entries);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_BRINGUP_BAD_OPTION' });
    expect((err as Error).message).toMatch(message);
  });
});
