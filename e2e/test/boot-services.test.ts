import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootResult } from '@mos/test-utils';
import { bootDisk, installedDisk, makeBootWorld, marks, publishBootable, stopBootWorld, withPartition, type BootWorld } from './helpers/boot';
import { buildServiceImage, buildServicesHostfs, servicesYaml } from './helpers/services-hostfs';

// Issue 15 §4 scenario 2: services in the booted system. A disk made by `mosctl install
// --partition` boots (qemu, TCG) through our initramfs into a hostfs over dm-verity; hostfs's
// init runs `mosctl boot` (the one-file bundle, dist/mosctl.js), which verifies the installed
// state, mounts the container target's layers over dm-verity and starts it under lxc in nsgroup
// c1, supervised. The container serves a page on the guest's loopback (host networking: no
// bridge, veth or iptables needed in the guest) saying what it sees of itself; the init fetches
// it and reports, with the kernel's view of the container's init, as MARK lines.
// The world (temp dirs, registry) is removed in afterAll; the install's loop device is detached
// by installedDisk itself; bootQemu kills qemu's process group whatever happens.
let b: BootWorld;
let r: BootResult;
let hostid: number;

beforeAll(async () => {
  const t0 = performance.now();
  b = await makeBootWorld({
    hostfs: async (w, base) => {
      await buildServiceImage(w, join(base, 'svc-image'), 'svc-httpd');
      return buildServicesHostfs(join(base, 'hostfs'));
    },
  });
  const disk = await installedDisk(b, await publishBootable(b, 'machine/services:1.0', servicesYaml(b.w, b.hostfsTag, 'svc-httpd')));
  // nsgroup c1's host range, as install recorded it in the system manifest.
  hostid = await withPartition(b, disk, 'machine-config', (dir) => {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.git', 'manifest.json'), 'utf8'));
    return (m.uidmaps as { 'idmap-name': string; hostid: number }[]).find((u) => u['idmap-name'] === 'c1')!.hostid;
  });
  const setupS = (performance.now() - t0) / 1000;
  r = await bootDisk(b, disk);
  const up = (k: string, v = '') => marks(r, k).find((x) => x.startsWith(v))?.match(/uptime=(\S+)/)?.[1] ?? '-';
  console.log(
    `boot-services: setup ${setupS.toFixed(1)} s; guest uptime: hostfs init ${up('hostfs-init')} s, mosctl boot ${up('mosctl-boot', 'start')}-${up('mosctl-boot', 'rc=')} s, ` +
      `service answered ${up('service-answered')} s, done ${up('hostfs-done')} s; qemu ran ${(r.durationMs / 1000).toFixed(1)} s`,
  );
});
afterAll(() => stopBootWorld(b));

/** The layer digests (hex) of image `tag` in the world's layout. */
function layersOf(tag: string): string[] {
  const blob = (d: string) => JSON.parse(readFileSync(join(b.w.zothub, 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const index = JSON.parse(readFileSync(join(b.w.zothub, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  return blob(desc.digest).layers.map((l: { digest: string }) => l.digest.slice(7));
}

test('hostfs init runs mosctl boot: the container service starts under lxc and answers inside the guest', () => {
  const failed = marks(r, 'service-failed');
  // On failure the console's end (with the init's log tails) is part of the diff.
  const consoleTail = r.timedOut || failed.length ? r.lines.slice(-100).join('\n') : '';
  expect({ timedOut: r.timedOut, failed, consoleTail }).toEqual({ timedOut: false, failed: [], consoleTail: '' });
  expect(marks(r, 'hostfs-done')).toHaveLength(1);
  expect(marks(r, 'mosctl-boot').pop()).toMatch(/^rc=0 /);
  // What the container says of itself: root inside, its own hostname, and a uid map onto c1's range.
  expect(marks(r, 'service')).toEqual([`hello from mos: uid=0 host=hostfstarget map=0,${hostid},65536`]);
  expect(marks(r, 'service-state')).toContainEqual(expect.stringMatching(/^hostfstarget running \d+ (chown|idmap)$/));
});

test('the service runs in nsgroup c1: its init is in a user namespace on c1 range, in lxc cgroup and uts namespace', () => {
  expect(hostid).toBeGreaterThanOrEqual(100000);
  expect(marks(r, 'service-uidmap')).toEqual([`0 ${hostid} 65536`]);
  expect(marks(r, 'service-owner')).toEqual([String(hostid)]);
  expect(marks(r, 'service-root-owner')).toEqual([String(hostid)]);
  expect(marks(r, 'service-cgroup')[0]).toMatch(/lxc\.payload\.hostfstarget/);
  const [inside, outside] = marks(r, 'service-utsns')[0].split(' ');
  expect(inside).toMatch(/^uts:\[\d+\]$/);
  expect(inside).not.toBe(outside);
});

test('kernel dm-verity under every hostfs layer, and under the container layers mosctl boot mounted', () => {
  const dm = marks(r, 'dm').map((l) => l.split(' '));
  expect(dm.map((d) => d[0]).sort()).toEqual(b.layers.map((l) => `${l}-verity`).sort());
  expect(dm.every((d) => d[1] === 'verity' && d[2] === 'V')).toBe(true);
  const after = marks(r, 'dm-after').map((l) => l.split(' '));
  expect(after.map((d) => d[0]).sort()).toEqual([...b.layers, ...layersOf('svc-httpd')].map((l) => `${l}-verity`).sort());
  expect(after.every((d) => d[1] === 'verity' && d[2] === 'V')).toBe(true);
});
