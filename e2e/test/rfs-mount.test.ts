import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cleanupMounts, mountsUnder, runBin, runOk } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { looksLikeBusybox, writable } from './helpers/mounted';

// mos-original §5.2: rfs.bats and mount.bats, with real verified mounts (root, loop + overlay).
let w: World;
let root: string;
let fsonly: string;
let livecd: string;

beforeAll(async () => {
  w = await makeWorld();
  fsonly = await publishYaml(w, installYaml(w, 'fsonly'), 'machine/install:fsonly');
  livecd = await publishYaml(w, installYaml(w, 'livecd'), 'machine/livecd:1.0.0');
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  // mosctl umount ran in the tests; this is the safety net for a failed one.
  expect(cleanupMounts(root)).toEqual([]);
});

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const installed = async () => mosctl('install', '--rfs', root, fsonly);

describe('create-boot-fs (rfs.bats)', () => {
  test('--readonly: /etc is there and writes fail', async () => {
    await installed();
    const dest = join(root, 'sysroot');
    await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', dest);
    try {
      expect(looksLikeBusybox(dest)).toBe(true);
      expect(writable(dest)).toBe(false);
    } finally {
      await mosctl('umount', dest);
    }
    expect(mountsUnder(root)).toEqual([]);
  });

  test('writable: a new file lands in the upper dir under R/scratch-writes', async () => {
    await installed();
    const dest = join(root, 'sysroot');
    const r = await mosctl('create-boot-fs', '--rfs', root, '--dest', dest, '--json');
    try {
      expect(JSON.parse(r.stdout)).toMatchObject({ dest, writable: true });
      expect(writable(dest)).toBe(true);
      expect(readFileSync('/proc/self/mounts', 'utf8')).toContain(join(root, 'scratch-writes'));
    } finally {
      await mosctl('umount', dest);
    }
  });

  test('a committed corruption of manifest.git makes it fail, and nothing is mounted', async () => {
    await installed();
    const repo = join(root, 'config', 'manifest.git');
    for (const f of execFileSync('git', ['-C', repo, 'ls-files', '*.json'], { encoding: 'utf8' }).trim().split('\n')) {
      const file = join(repo, f);
      const lines = readFileSync(file, 'utf8').split('\n').map((l) => `${l} $`);
      writeFileSync(file, lines.join('\n'));
    }
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'corrupt']);
    const dest = join(root, 'sysroot');
    const r = await runBin('mosctl', ['create-boot-fs', '--rfs', root, '--dest', dest]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/manifest/);
    expect(mountsUnder(root)).toEqual([]);
  });
});

describe('mount (mount.bats)', () => {
  test('an installed hostfs, read-only, at --dest', async () => {
    await installed();
    const dest = join(root, 'mnt');
    await mosctl('mount', '--rfs', root, '--readonly', '--dest', dest);
    try {
      expect(looksLikeBusybox(dest)).toBe(true);
      expect(writable(dest)).toBe(false);
    } finally {
      await mosctl('umount', dest);
    }
  });

  test('default dest is R/mnt/mos/<target>; another target by name', async () => {
    await installed();
    await mosctl('mount', '--rfs', root, '--target', 'hostfstarget');
    const dest = join(root, 'mnt', 'mos', 'hostfstarget');
    try {
      expect(looksLikeBusybox(dest)).toBe(true);
    } finally {
      await mosctl('umount', dest);
    }
  });

  test.each([
    ['read-only', ['--readonly'], false],
    ['writable', [], true],
  ])('a %s livecd from a registry URL, with no install', async (_w, flags, canWrite) => {
    const dest = join(root, 'mnt');
    await mosctl('mount', ...(flags as string[]), '--rfs', root, '--dest', dest, livecd);
    try {
      expect(looksLikeBusybox(dest)).toBe(true);
      expect(writable(dest)).toBe(canWrite);
      expect(existsSync(join(root, 'config', 'manifest.git'))).toBe(false);
    } finally {
      await mosctl('umount', dest);
    }
  });

  test('a remote manifest on an installed root is refused', async () => {
    await installed();
    const r = await runBin('mosctl', ['mount', '--rfs', root, '--dest', join(root, 'mnt'), livecd]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/installed/);
    expect(mountsUnder(root)).toEqual([]);
  });

  test('a target the system does not have', async () => {
    await installed();
    const r = await runBin('mosctl', ['mount', '--rfs', root, '--target', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no target "nope"/);
  });
});

test('uncommitted edits in manifest.git do not matter', async () => {
  await installed();
  const repo = join(root, 'config', 'manifest.git');
  appendFileSync(join(repo, 'manifest.json'), 'garbage');
  const dest = join(root, 'mnt');
  await mosctl('mount', '--rfs', root, '--readonly', '--dest', dest);
  await mosctl('umount', dest);
});
