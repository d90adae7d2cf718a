import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bootQemu, busyboxTree, copyWithLibs, debianKernel, runOk, type BootResult, type Kernel, withLoop } from '@mos/test-utils';
import { installYaml, makeWorld, stopWorld, type World } from './world';

/**
 * What a booted test needs once per suite: the e2e world (keyset, registry), Debian's kernel,
 * the keyset's bootkit (`mosb bootkit build`: the kernel and the initramfs with the keyset's
 * manifest CA, which `install --partition` puts on the ESP), and a hostfs image
 * whose `/sbin/init` reports what the booted machine looks like as `MARK:` lines, then
 * powers off.
 */
export interface BootWorld {
  w: World;
  kernel: Kernel;
  /** `oci:` tag of the hostfs image in the world's layout. */
  hostfsTag: string;
  /** The hostfs layers in the layout, base first (digest hex). */
  layers: string[];
}

/** The hostfs init: one MARK line per fact the tests check, then power off. */
const HOSTFS_INIT = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "MARK:hostfs-init pid=$$ uptime=$(cut -d' ' -f1 /proc/uptime)"
while read dev mnt fs opts rest; do echo "MARK:mount $dev $mnt $fs $opts"; done < /proc/mounts
for n in $(dmsetup ls 2>/dev/null | cut -f1 | cut -d' ' -f1); do echo "MARK:dm $n $(dmsetup status "$n" | awk '{print $3, $NF}')"; done
[ -f /factory/secure/manifestCA.pem ] && echo "MARK:ca $(sha256sum /factory/secure/manifestCA.pem | cut -d' ' -f1)"
if cat /big.bin > /dev/null 2>/tmp/read.err; then echo "MARK:read ok"; else echo "MARK:read failed $(cat /tmp/read.err)"; fi
echo written > /written-after-switch-root && echo "MARK:root-writable"
echo "MARK:hostfs-done uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
`;

export { copyWithLibs };

/** Makes a hostfs's layer dirs (base first) under `base`, which the world removes; may add images to `w.zothub`. */
export type HostfsLayers = (w: World, base: string) => string[] | Promise<string[]>;

/** `hostfs`: the layers of the world's hostfs image instead of the MARK-reporting one below. */
export async function makeBootWorld(opts: { hostfs?: HostfsLayers } = {}): Promise<BootWorld> {
  const kernel = await debianKernel();
  const w = await makeWorld();
  try {
    const base = w.dirs.make('mos-e2e-boot-');
    const hostfsTag = 'hostfs-boot';
    if (opts.hostfs) await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', hostfsTag, ...(await opts.hostfs(w, base))]);
    else {
      // Layer 1: busybox and dmsetup (for the init's checks). Layer 2: the init and data it reads.
      const l1 = busyboxTree(join(base, 'l1'), { 'etc/hostname': 'mos-booted\n' });
      copyWithLibs('/usr/sbin/dmsetup', l1);
      for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory', 'run', 'boot/efi']) mkdirSync(join(l1, d), { recursive: true });
      const l2 = join(base, 'l2');
      mkdirSync(join(l2, 'sbin'), { recursive: true });
      writeFileSync(join(l2, 'sbin', 'init'), HOSTFS_INIT, { mode: 0o755 });
      // Incompressible, so its blocks sit in the middle of the layer blob where a test can hit them.
      execFileSync('dd', ['if=/dev/urandom', `of=${join(l2, 'big.bin')}`, 'bs=1M', 'count=4', 'status=none']);
      await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', hostfsTag, l1, l2]);
    }
    const index = JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8'));
    const desc = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === hostfsTag);
    const manifest = JSON.parse(readFileSync(join(w.zothub, 'blobs', 'sha256', desc.digest.slice(7)), 'utf8'));
    const layers = manifest.layers.map((l: { digest: string }) => l.digest.slice(7));
    // The keyset's bootkit (kernel, initramfs with its manifest CA, modules): publish adds it.
    await runOk('mosb', ['bootkit', 'build', '--keyset', 'e2e', '--kernel', kernel.root], { env: w.env });
    return { w, kernel, hostfsTag, layers };
  } catch (e) {
    await stopWorld(w);
    throw e;
  }
}

export const stopBootWorld = (b: BootWorld | undefined) => stopWorld(b?.w);

/** Publishes an install manifest (default: only hostfs, the boot image), with the keyset's bootkit added by publish; returns its URL. */
export async function publishBootable(b: BootWorld, name: string, yaml = installYaml(b.w, 'hostfsonly', { image: b.hostfsTag }), extra: string[] = []): Promise<string> {
  const file = join(b.w.dirs.make('mos-e2e-yaml-'), 'manifest.yaml');
  writeFileSync(file, yaml);
  await runOk('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', b.w.registry.host, '--name', name, ...extra, file], { env: b.w.env });
  return `${b.w.registry.host}/${name}`;
}

/** The kernel and initramfs `install --partition` wrote to the disk's ESP (what firmware would load). */
export function bootFilesOf(b: BootWorld, image: string): { kernel: string; initrd: string } {
  const j = JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' }));
  const esp = (j.partitiontable.partitions as { name?: string; start: number }[]).find((p) => p.name === 'esp');
  if (!esp) throw new Error(`${image} has no esp partition`);
  const dir = b.w.dirs.make('mos-e2e-esp-');
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  for (const f of ['vmlinuz', 'initrd.img']) execFileSync('mcopy', ['-i', `${image}@@${esp.start * 512}`, `::/EFI/BOOT/${f}`, join(dir, f)], { env });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

/** The partition of `dev` whose GPT name is `name` (`sfdisk --json`: no udev here to label devices). */
export function partition(dev: string, name: string): string {
  const j = JSON.parse(execFileSync('sfdisk', ['--json', dev], { encoding: 'utf8' }));
  const hit = (j.partitiontable.partitions as { node: string; name?: string }[]).find((p) => p.name === name);
  if (!hit) throw new Error(`no partition ${name} on ${dev}`);
  return hit.node;
}

/** Mounts a partition of the disk image at a temp dir for `fn`, then unmounts and detaches. */
export async function withPartition<T>(b: BootWorld, image: string, name: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  return withLoop(image, async (dev) => {
    const dir = b.w.dirs.make('mos-e2e-part-');
    execFileSync('mount', [partition(dev, name), dir]);
    try {
      return await fn(dir);
    } finally {
      execFileSync('umount', [dir]);
    }
  });
}

/**
 * The installed system of a disk image as a root on this host: its config and store partitions
 * mounted at `R/config` and `R/atomfs-store` for `fn` (a `mosctl update -r R` between boots),
 * then unmounted and detached.
 */
export async function withInstalledRoot<T>(b: BootWorld, image: string, fn: (root: string) => Promise<T> | T): Promise<T> {
  return withLoop(image, async (dev) => {
    const root = b.w.dirs.make('mos-e2e-diskroot-');
    const mounted: string[] = [];
    try {
      for (const [name, dir] of [['machine-config', 'config'], ['machine-store', 'atomfs-store']]) {
        mkdirSync(join(root, dir));
        execFileSync('mount', [partition(dev, name), join(root, dir)]);
        mounted.push(join(root, dir));
      }
      return await fn(root);
    } finally {
      for (const m of mounted.reverse()) execFileSync('umount', [m]);
    }
  });
}

/** A sparse disk image with `mosctl install --partition` done on it from `url`. */
export async function installedDisk(b: BootWorld, url: string, sizeMiB = 512): Promise<string> {
  const image = join(b.w.dirs.make('mos-e2e-disk-'), 'disk.img');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
  await withLoop(image, (dev) => runOk('mosctl', ['install', '--partition', dev, '--ca', b.w.caPath, url], { env: b.w.env }));
  return image;
}

/** A sparse copy of a disk image, for a scenario that changes it. */
export function copyDisk(b: BootWorld, image: string): string {
  const copy = join(b.w.dirs.make('mos-e2e-disk-'), 'disk.img');
  execFileSync('cp', ['--sparse=always', image, copy]);
  return copy;
}

/**
 * Boots the disk with the kernel and initramfs from its own ESP (qemu loads them directly, as a
 * boot loader would), until hostfs's init is done or the guest stops (a panic with `panic=-1`
 * reboots, which qemu's `-no-reboot` turns into an exit).
 */
export function bootDisk(b: BootWorld, image: string, extraAppend = '', opts: { persist?: boolean } = {}): Promise<BootResult> {
  const files = bootFilesOf(b, image);
  return bootQemu({
    kernel: files.kernel,
    initrd: files.initrd,
    // quiet: kernel notices (crng, ext4 mounts) must not split the MARK lines; errors (verity) still show.
    append: `console=ttyS0 quiet panic=-1 root=soci:name=mosboot rd.mos.timeout=30 ${extraAppend}`.trim(),
    // persist: what the guest writes stays on the image, for a scenario across reboots.
    disks: [{ file: image, snapshot: !opts.persist }],
    until: /MARK:hostfs-done/,
    logFile: `${image}.console.log`,
  });
}

/** `MARK:<key> …` values, in order. */
export function marks(r: BootResult, key: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`MARK:${key}(?: (.*))?$`);
  for (const l of r.lines) {
    const m = re.exec(l);
    if (m) out.push((m[1] ?? '').trim());
  }
  return out;
}

/** XORs one byte of a layer blob on the disk's store partition, `offset` bytes into the blob. */
export async function flipLayerByte(b: BootWorld, image: string, layer: string, offset: number): Promise<void> {
  await withPartition(b, image, 'machine-store', (dir) => {
    const fd = openSync(join(dir, 'mos', 'blobs', 'sha256', layer), 'r+');
    try {
      const one = Buffer.alloc(1);
      readSync(fd, one, 0, 1, offset);
      one[0] ^= 0xff;
      writeSync(fd, one, 0, 1, offset);
    } finally {
      closeSync(fd);
    }
  });
}

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** What a good boot shows (scenario 1): an overlay root over one dm-verity squashfs per hostfs layer, each `V`; the partitions where §4.11 puts them (config and store writable for mosctl once verified); the initrd's CA in factory/secure. */
export function expectBootedOverVerity(b: BootWorld, r: BootResult): void {
  const mounts = marks(r, 'mount').map((l) => l.split(' '));
  const at = (mp: string) => mounts.filter((m) => m[1] === mp).pop();
  expect(at('/')?.[2]).toBe('overlay');
  expect(at('/')?.[3]).toMatch(/upperdir=\/scratch-writes\//);
  // Every hostfs layer is a squashfs on its own dm-verity device, and the kernel says V for each.
  for (const layer of b.layers) {
    const m = mounts.find((x) => x[0] === `/dev/mapper/${layer}-verity`);
    expect(m?.[2]).toBe('squashfs');
    expect(m?.[3]).toMatch(/^ro\b/);
    expect(at('/')?.[3]).toContain(m![1]);
  }
  const dm = marks(r, 'dm').map((l) => l.split(' '));
  expect(dm.map((d) => d[0]).sort()).toEqual(b.layers.map((l) => `${l}-verity`).sort());
  expect(dm.every((d) => d[1] === 'verity' && d[2] === 'V')).toBe(true);
  // Verified from read-only mounts; remounted read-write for the booted system's mosctl.
  expect(at('/config')?.slice(2, 4).join(' ')).toMatch(/^ext4 rw,nosuid,nodev,noexec/);
  expect(at('/atomfs-store')?.slice(2, 4).join(' ')).toMatch(/^ext4 rw,nosuid,nodev,noexec/);
  expect(at('/scratch-writes')?.slice(2, 4).join(' ')).toMatch(/^ext4 rw,/);
  expect(at('/factory')?.[2]).toBe('tmpfs');
  expect(marks(r, 'ca')).toEqual([sha256(b.w.caPath)]);
  expect(marks(r, 'read')).toEqual(['ok']);
  expect(marks(r, 'root-writable')).toHaveLength(1);
}
