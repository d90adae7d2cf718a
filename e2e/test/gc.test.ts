import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, cleanupMounts, runBin, runOk, TOP, treeSnapshot } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Issue 10 §6: `mosctl gc` removes the images no recent state names, keeps those of the
// current state and --keep states before it (so a rollback works), and leaves a store that
// fsck, umoci and a verified mount all accept.
let w: World;
let root: string;

beforeAll(async () => {
  w = await makeWorld();
  // A third image, only the first state uses: what gc should remove.
  const tree = busyboxTree(join(w.dirs.make('mos-e2e-gc-'), 'old'), { 'etc/old-release': 'gc me\n' });
  execFileSync('dd', ['if=/dev/urandom', `of=${join(tree, 'old.bin')}`, 'bs=1M', 'count=2', 'status=none']);
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'gc-old', tree]);
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  expect(cleanupMounts(root)).toEqual([]);
});

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const store = () => join(root, 'atomfs-store', 'mos');
const indexed = () => (JSON.parse(readFileSync(join(store(), 'index.json'), 'utf8')).manifests as { digest: string }[]).map((m) => m.digest).sort();
const digestOf = (tag: string) =>
  JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8')).manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag).digest as string;

/** Three states: gc-old, then busybox, then busyboxu1 (each a complete update), the last confirmed. */
async function threeStates(): Promise<void> {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'gc-old' }), 'machine/gc:1'));
  await mosctl('update', '-r', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/gc:2'));
  await mosctl('update', '-r', root, await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/gc:3'));
  // Confirmed, so the state before it is no longer kept as the target of an automatic rollback.
  await mosctl('confirm', '--rfs', root);
}

/** The store is whole: our fsck, umoci's view, and the current state mounts verified. */
async function storeIsWhole(): Promise<void> {
  await mosctl('store', 'fsck', store());
  execFileSync('umoci', ['ls', '--layout', store()]);
  await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', join(root, 'sysroot'));
  await mosctl('umount', join(root, 'sysroot'));
}

test('--dry-run lists the image only the oldest state used, and changes nothing', async () => {
  await threeStates();
  const before = treeSnapshot(store());
  const r = JSON.parse((await mosctl('gc', '--rfs', root, '--dry-run', '--json')).stdout);
  expect(r).toMatchObject({ dryRun: true, removedImages: [digestOf('gc-old')] });
  expect(r.keptStates).toHaveLength(2);
  expect(r.freedBytes).toBeGreaterThan(2 * 1024 * 1024);
  expect(treeSnapshot(store())).toEqual(before);
});

test('gc keeps the current and the previous state (a rollback target), removes the rest, and the store stays whole', async () => {
  await threeStates();
  const r = JSON.parse((await mosctl('gc', '--rfs', root, '--json')).stdout);
  expect(r.removedImages).toEqual([digestOf('gc-old')]);
  expect(indexed()).toEqual([digestOf('busybox-squashfs'), digestOf('busyboxu1-squashfs')].sort());
  await storeIsWhole();
  // Nothing left to do the second time.
  expect(JSON.parse((await mosctl('gc', '--rfs', root, '--json')).stdout)).toMatchObject({ removedImages: [], removedBlobs: 0 });
  // --keep 0: only the current state's image stays.
  const k0 = JSON.parse((await mosctl('gc', '--rfs', root, '--keep', '0', '--json')).stdout);
  expect(k0.removedImages).toEqual([digestOf('busybox-squashfs')]);
  expect(indexed()).toEqual([digestOf('busyboxu1-squashfs')]);
  await storeIsWhole();
});

test('leftovers of a killed import are collected; other entries in the store are never touched', async () => {
  await threeStates();
  mkdirSync(join(store(), '.uploads'), { recursive: true });
  writeFileSync(join(store(), '.uploads', 'blob-0123456789abcdef01234567'), 'half a layer');
  // An entry not of mos's import form (tag = digest): kept, whatever it names.
  const index = JSON.parse(readFileSync(join(store(), 'index.json'), 'utf8'));
  const old = index.manifests.find((m: { digest: string }) => m.digest === digestOf('gc-old'));
  index.manifests.push({ ...old, annotations: { 'org.opencontainers.image.ref.name': 'pinned-by-hand' } });
  writeFileSync(join(store(), 'index.json'), JSON.stringify(index));
  const r = JSON.parse((await mosctl('gc', '--rfs', root, '--json')).stdout);
  expect(r.staleUploads).toBe(1);
  expect(r.removedImages).toEqual([digestOf('gc-old')]);
  expect(r.removedBlobs).toBe(0); // the hand-pinned entry still reaches every blob of gc-old
  expect(existsSync(join(store(), '.uploads', 'blob-0123456789abcdef01234567'))).toBe(false);
  await storeIsWhole();
});

test('bad --keep is a usage error; an uninstalled root is "not found"', async () => {
  expect((await runBin('mosctl', ['gc', '--rfs', root, '--keep', 'all'], { env: w.env })).code).toBe(2);
  const r = await runBin('mosctl', ['gc', '--rfs', root], { env: w.env });
  expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 4, stderr: expect.stringMatching(/nothing is installed/) });
});

test('kill -9 of gc at random moments, then a retry: the store is whole and the states verify', async () => {
  const durations: number[] = [];
  for (let i = 0; i < 8; i++) {
    root = makeRoot(w);
    await threeStates();
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(TOP, 'packages/mosctl/bin/mosctl.js'), 'gc', '--rfs', root, '--keep', '0'], { stdio: 'ignore', env: { ...process.env, ...w.env } });
    const exited = new Promise((r) => child.once('exit', r));
    // Calibrated on the first run (which is not killed): later kills land anywhere in it.
    if (i > 0) setTimeout(() => child.kill('SIGKILL'), Math.random() * Math.max(...durations) * 1.2);
    await exited;
    if (i === 0) durations.push(Date.now() - t0);
    await mosctl('gc', '--rfs', root, '--keep', '0');
    expect(indexed()).toEqual([digestOf('busyboxu1-squashfs')]);
    await storeIsWhole();
    expect(cleanupMounts(root)).toEqual([]);
  }
});
