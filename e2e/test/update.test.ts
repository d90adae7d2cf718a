import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { writable } from './helpers/mounted';

// mos-original §5.2 update.bats, plus what an update must refuse.
let w: World;
let root: string;

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  expect(cleanupMounts(root)).toEqual([]);
});

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const git = (...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' });
const head = () => git('rev-parse', 'master').trim();

/** Mounts `target` read-only, runs `look` on it, unmounts. */
async function withMounted<T>(target: string, look: (dest: string) => T): Promise<T> {
  const dest = join(root, 'mnt', target);
  await mosctl('mount', '--rfs', root, '--target', target, '--readonly', '--dest', dest);
  try {
    return look(dest);
  } finally {
    await mosctl('umount', dest);
  }
}

test('a complete update from busybox to busyboxu1', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:1.0.0'));
  const before = head();
  const url2 = await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/install:1.0.2');
  await mosctl('update', '-r', root, url2);
  expect(git('rev-parse', 'master^').trim()).toBe(before);
  expect(git('log', '-1', '--format=%an <%ae>', 'master').trim()).toBe('machine <root@machine.local>');
  expect(git('ls-tree', '--name-only', 'master').trim().split('\n')).toHaveLength(4);
  git('fsck', '--strict');
  const dest = join(root, 'sysroot');
  await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', dest);
  try {
    expect(readFileSync(join(dest, 'u1'), 'utf8')).toBe('u1\n');
  } finally {
    await mosctl('umount', dest);
  }
});

test('update of an fs-only target: the new content shows', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'fsonly'), 'machine/install:fs1'));
  expect(await withMounted('hostfstarget', (d) => [existsSync(join(d, 'etc')), existsSync(join(d, 'u1'))])).toEqual([true, false]);
  await mosctl('update', '-r', root, await publishYaml(w, installYaml(w, 'fsonly', { image: 'busyboxu1-squashfs' }), 'machine/install:fs2'));
  expect(await withMounted('hostfstarget', (d) => existsSync(join(d, 'u1')))).toBe(true);
});

test('a partial update adding a target keeps hostfs and adds the new one', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:p1'));
  const partial = installYaml(w, 'fsonly', { image: 'busyboxu1-squashfs', updateType: 'partial' }).replace(/  - service_name: hostfs\n(    .*\n)*?(?=  - )/, '');
  expect(partial).not.toMatch(/service_name: hostfs\n/);
  await mosctl('update', '-r', root, await publishYaml(w, partial, 'machine/install:p2'));
  const sys = JSON.parse(git('show', 'master:manifest.json'));
  expect(sys.targets.map((t: { name: string }) => t.name)).toEqual(['hostfs', 'hostfstarget']);
  expect(new Set(sys.targets.map((t: { source: string }) => t.source)).size).toBe(2);
  expect(git('ls-tree', '--name-only', 'master').trim().split('\n')).toHaveLength(7);
  for (let i = 0; i < 2; i++) expect(await withMounted('hostfstarget', (d) => existsSync(join(d, 'u1')))).toBe(true);
  const dest = join(root, 'sysroot');
  await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', dest);
  try {
    expect(existsSync(join(dest, 'u1'))).toBe(false);
    expect(writable(dest)).toBe(false);
  } finally {
    await mosctl('umount', dest);
  }
});

test('the same manifest again changes nothing', async () => {
  const url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:same');
  await mosctl('install', '--rfs', root, url);
  const before = head();
  const r = await mosctl('update', '-r', root, url, '--json');
  expect(JSON.parse(r.stdout)).toMatchObject({ changed: false, commit: before });
  expect(head()).toBe(before);
});

test('an update for another product is refused, and the state stays', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:prod1'));
  const before = head();
  const other = await publishYaml(w, installYaml(w, 'hostfsonly', { product: 'another-product' }), 'machine/install:prod2');
  const r = await runBin('mosctl', ['update', '-r', root, other]);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/product-mismatch/);
  expect(head()).toBe(before);
});

test('a committed edit of SHA.json makes update fail before it fetches anything', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:t1'));
  const sha = git('ls-tree', '--name-only', 'master').split('\n').find((f) => f.endsWith('.json') && f !== 'manifest.json')!;
  appendFileSync(join(root, 'config', 'manifest.git', sha), ' $');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'tamper');
  const before = head();
  const r = await runBin('mosctl', ['update', '-r', root, `${w.registry.host}/machine/install:t1`]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/modified|corrupt|does not hash/);
  expect(head()).toBe(before);
});

test('update with no URL where no source is recorded says what to do (exit 4)', async () => {
  const r = await runBin('mosctl', ['update', '-r', root]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 4, stderr: expect.stringContaining(`${root} has no recorded update source: give the URL (mosctl update URL), or record one with mosctl switch URL`) });
});
