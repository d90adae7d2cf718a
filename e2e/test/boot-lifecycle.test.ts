import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, runOk, type BootResult } from '@mos/test-utils';
import { bootDisk, installedDisk, makeBootWorld, marks, publishBootable, stopBootWorld, withInstalledRoot, withPartition, type BootWorld } from './helpers/boot';
import { buildServiceImage, buildServicesHostfs, servicesYaml } from './helpers/services-hostfs';

// Issue 10 §4, booted: a hostfs change is on trial across boots. bringup counts each boot of it
// on scratch (rd.mos.boot-tries=2 here); a hostfs that cannot even start its init panics, the
// guest reboots (qemu exits, the test boots it again), and after two tries bringup boots the
// previous state, whose `mosctl boot` records the fallback as an automatic rollback with its
// reason; its services then confirm it. A good hostfs change boots once, its services prove
// themselves and the booted system's supervisor confirms it (config is writable after the
// initrd verified it). Real qemu (TCG), real dm-verity, real lxc in the guest; the disk image
// persists between boots and is updated between them by `mosctl update` on this host.
let b: BootWorld;
let disk: string;
let hostfsLayers: string[] = [];
const boots: string[] = [];

const TRIES = 'rd.mos.boot-tries=2';

beforeAll(async () => {
  b = await makeBootWorld({
    hostfs: async (w, base) => {
      await buildServiceImage(w, join(base, 'svc-image'), 'svc-httpd');
      hostfsLayers = buildServicesHostfs(join(base, 'hostfs'));
      return hostfsLayers;
    },
  });
  // A hostfs whose init dies at once (the kernel panics, the guest reboots), and a good second release.
  const broken = busyboxTree(b.w.dirs.make('mos-e2e-broken-'));
  // /sbin/init is busybox's applet link: replace the link, not what it points at.
  rmSync(join(broken, 'sbin', 'init'));
  writeFileSync(join(broken, 'sbin', 'init'), '#!/bin/sh\necho MARK:broken-hostfs\nexit 3\n', { mode: 0o755 });
  for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory', 'run', 'boot/efi']) mkdirSync(join(broken, d), { recursive: true });
  await runOk('atomfs', ['build', '--layout', b.w.zothub, '--tag', 'hostfs-broken', broken]);
  const extra = b.w.dirs.make('mos-e2e-hostfs2-');
  mkdirSync(join(extra, 'etc'));
  writeFileSync(join(extra, 'etc', 'mos-release'), '2.0\n');
  await runOk('atomfs', ['build', '--layout', b.w.zothub, '--tag', 'hostfs-2', ...hostfsLayers, extra]);
  disk = await installedDisk(b, await publishBootable(b, 'machine/life:1.0', servicesYaml(b.w, b.hostfsTag, 'svc-httpd'), ['--serial', '100']));
});
afterAll(() => stopBootWorld(b));

/** `mosctl update` of the disk's installed system, from this host; its JSON result. */
async function updateDisk(tag: string, hostfs: string, serial: number): Promise<{ commit: string; previous: string; pending: { nextBoot: string[] } }> {
  const url = await publishBootable(b, `machine/life:${tag}`, servicesYaml(b.w, hostfs, 'svc-httpd'), ['--serial', String(serial)]);
  return withInstalledRoot(b, disk, async (root) => JSON.parse((await runOk('mosctl', ['update', '-r', root, '--ca', b.w.caPath, '--settle', '2s', '--json', url], { env: b.w.env })).stdout));
}

async function boot(): Promise<BootResult> {
  const r = await bootDisk(b, disk, TRIES, { persist: true });
  boots.push(`${(r.durationMs / 1000).toFixed(1)} s`);
  return r;
}

const bringupSaid = (r: BootResult, re: RegExp) => r.lines.filter((l) => l.includes('mos-bringup:') && re.test(l));

/**
 * Asserts bringup said `re` exactly once in this boot. On failure the diff holds how the boot
 * ended, everything bringup said and the console's end, so a red run on CI explains itself.
 */
function expectBringupSaidOnce(r: BootResult, re: RegExp): void {
  const hits = bringupSaid(r, re);
  if (hits.length === 1) return;
  const bringup = r.lines.filter((l) => l.includes('mos-bringup'));
  expect({ said: hits, re: re.source, exitCode: r.exitCode, timedOut: r.timedOut, ms: r.durationMs, bringup, tail: r.lines.slice(-60) }).toEqual({ said: ['exactly one line'] });
}
const gitOf = (dir: string, ...args: string[]) => execFileSync('git', ['-C', join(dir, 'manifest.git'), ...args], { encoding: 'utf8' }).trim();

test('a hostfs that cannot boot is tried twice, then the previous state boots and records the fallback as a rollback, which its services confirm', async () => {
  const up = await updateDisk('2.0-broken', 'hostfs-broken', 200);
  expect(up.pending.nextBoot).toEqual(['hostfs']);

  for (const n of [1, 2]) {
    const r = await boot();
    expectBringupSaidOnce(r, new RegExp(`state ${up.commit.slice(0, 12)} is on trial \\(hostfs changed\\): boot ${n} of 2`));
    expect(marks(r, 'broken-hostfs')).toHaveLength(1); // it booted the new hostfs, whose init died
    expect(marks(r, 'hostfs-done')).toEqual([]);
  }

  const r = await boot();
  const tail = r.timedOut || !marks(r, 'hostfs-done').length ? r.lines.slice(-80).join('\n') : '';
  expect({ timedOut: r.timedOut, tail }).toEqual({ timedOut: false, tail: '' });
  expectBringupSaidOnce(r, /was booted 2 times without being confirmed: booting the previous state/);
  expect(marks(r, 'broken-hostfs')).toEqual([]);
  expect(marks(r, 'service')).toHaveLength(1); // the previous state's service answers
  const [lifecycle] = marks(r, 'lifecycle');
  expect(lifecycle).toMatch(new RegExp(`^commit=\\w{12} booted=${up.previous.slice(0, 12)} pending=- confirmed=auto$`));
  expect(marks(r, 'auto-rollback')).toEqual([`hostfs of ${up.commit.slice(0, 12)} was booted 2 times without being confirmed; the boot fell back to ${up.previous.slice(0, 12)}`]);

  // On the disk: the rollback is a commit of its own after the update, and it is confirmed.
  await withPartition(b, disk, 'machine-config', (dir) => {
    expect(gitOf(dir, 'log', '-1', '--format=%s', 'master')).toMatch(new RegExp(`^Rollback to ${up.previous.slice(0, 12)} \\(automatic: hostfs of ${up.commit.slice(0, 12)} was booted 2 times`));
    expect(gitOf(dir, 'rev-parse', 'master~1')).toBe(up.commit);
    const life = JSON.parse(readFileSync(join(dir, 'lifecycle.json'), 'utf8'));
    expect(life.pending).toBeUndefined();
    expect(life.confirmed).toMatchObject({ commit: gitOf(dir, 'rev-parse', 'master'), by: 'auto' });
    execFileSync('git', ['-C', join(dir, 'manifest.git'), 'fsck', '--strict']);
  });
});

test('a good hostfs change boots once on trial and the booted system confirms it; the next boot is not counted', async () => {
  const up = await updateDisk('3.0', 'hostfs-2', 300);
  expect(up.pending.nextBoot).toEqual(['hostfs']);
  const r = await boot();
  expectBringupSaidOnce(r, new RegExp(`state ${up.commit.slice(0, 12)} is on trial \\(hostfs changed\\): boot 1 of 2`));
  expect(marks(r, 'service')).toHaveLength(1);
  expect(marks(r, 'lifecycle')).toEqual([`commit=${up.commit.slice(0, 12)} booted=${up.commit.slice(0, 12)} pending=- confirmed=auto`]);

  const again = await boot();
  expect(bringupSaid(again, /on trial|without being confirmed/)).toEqual([]);
  expect(marks(again, 'lifecycle')).toEqual([`commit=${up.commit.slice(0, 12)} booted=${up.commit.slice(0, 12)} pending=- confirmed=auto`]);
  console.log(`boot-lifecycle: ${boots.length} boots (${boots.join(', ')})`);
});
