import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLdd, sharedLibraries, type InitrdSys } from '@mos/bringup';
import { tempDirs } from '@mos/test-utils';

const temps = tempDirs();
afterEach(() => temps.cleanup());

const DMSETUP_LDD = `\tlinux-vdso.so.1 (0x00007ffd4a5f2000)
\tlibdevmapper.so.1.02.1 => /lib/x86_64-linux-gnu/libdevmapper.so.1.02.1 (0x00007f6663533000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6663351000)
\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f6663215000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f66635e0000)
\tlibpcre2-8.so.0 => /lib/x86_64-linux-gnu/libpcre2-8.so.0 (0x00007f6663179000)
`;

/** A fake seam whose ldd prints what the test says. */
const lddSays = (stdout: string, stderr = '', code = 0): InitrdSys => ({
  run: async () => ({ code, stdout, stderr }),
  filter: () => {
    throw new Error('not used');
  },
});

describe('parseLdd', () => {
  it('takes "=> /path" lines and the loader line, skips the vDSO, puts the loader last', () => {
    expect(parseLdd(DMSETUP_LDD)).toEqual({
      static: false,
      libraries: [
        '/lib/x86_64-linux-gnu/libdevmapper.so.1.02.1',
        '/lib/x86_64-linux-gnu/libc.so.6',
        '/lib/x86_64-linux-gnu/libm.so.6',
        '/lib/x86_64-linux-gnu/libpcre2-8.so.0',
        '/lib64/ld-linux-x86-64.so.2',
      ],
      loader: '/lib64/ld-linux-x86-64.so.2',
      notFound: [],
    });
  });
  it('sees static binaries and libraries it cannot find', () => {
    expect(parseLdd('', '\tnot a dynamic executable\n').static).toBe(true);
    expect(parseLdd('\tstatically linked\n').static).toBe(true);
    expect(parseLdd('\tlibfoo.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n').notFound).toEqual(['libfoo.so.1']);
  });
});

describe('sharedLibraries', () => {
  it('lists what the fake ldd printed', async () => {
    expect(await sharedLibraries('/bin/sh', { sys: lddSays(DMSETUP_LDD) })).toHaveLength(5);
  });
  it.each([
    ['a static binary where libraries are expected', {}, lddSays('', '\tnot a dynamic executable\n', 1), /not a dynamic executable/],
    ['a dynamic binary that must be static', { static: true }, lddSays(DMSETUP_LDD), /must be statically linked/],
    ['a library ldd cannot find', {}, lddSays('\tlibfoo.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n'), /libfoo\.so\.1/],
  ])('refuses %s with ERR_BRINGUP_BINARY_UNSUITABLE', async (_what, opts, sys, message) => {
    const err = await sharedLibraries('/bin/sh', { ...opts, sys }).catch((e) => e);
    expect(err).toMatchObject({ code: 'ERR_BRINGUP_BINARY_UNSUITABLE', details: { binary: '/bin/sh' } });
    expect(err.message).toMatch(message);
  });
  it('refuses a missing binary with ERR_BRINGUP_FILE_NOT_FOUND', async () => {
    await expect(sharedLibraries('/nonexistent/bin')).rejects.toMatchObject({ code: 'ERR_BRINGUP_FILE_NOT_FOUND' });
  });

  describe('with the real ldd', () => {
    it('dmsetup needs libdevmapper and the loader', async () => {
      const libs = await sharedLibraries('/usr/sbin/dmsetup');
      expect(libs.some((l) => /\/libdevmapper\.so/.test(l))).toBe(true);
      expect(libs.at(-1)).toMatch(/^\/lib64\/ld-linux-x86-64\.so\.2$/);
    });
    it('busybox-static is static, and is refused where a dynamic binary is expected', async () => {
      expect(await sharedLibraries('/bin/busybox', { static: true })).toEqual([]);
      await expect(sharedLibraries('/bin/busybox')).rejects.toMatchObject({ code: 'ERR_BRINGUP_BINARY_UNSUITABLE' });
    });
    it('a script is not a dynamic executable', async () => {
      const f = join(temps.make(), 'script.sh');
      writeFileSync(f, '#!/bin/sh\n', { mode: 0o755 });
      await expect(sharedLibraries(f)).rejects.toMatchObject({ code: 'ERR_BRINGUP_BINARY_UNSUITABLE' });
    });
  });
});
