// The booted-machine demo (README command 3): a keyset and its bootkit, a hostfs image, a signed
// install manifest, `mosctl install --partition` onto a disk image, then a real boot of that
// disk under qemu (TCG) through our initramfs: bringup re-verifies the signed state and mounts
// hostfs over kernel dm-verity. Then one flipped byte in a layer on the disk, and the same boot
// refuses. Everything lives in a temp dir removed at the end (loop devices detached, qemu gone).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootQemu, busyboxTree, cleanupMounts, copyWithLibs, debianKernel, withLoop } from '@mos/test-utils';
import { Shell } from './shell';

const work = mkdtempSync(join(tmpdir(), 'mos-demo-boot-'));
const sh = new Shell(work, { ...process.env, MOS_KEYSETS_DIR: join(work, 'keys') });
const stops: (() => void)[] = [];

const HOSTFS_INIT = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "hostfs: I am $(cat /etc/hostname), pid $$, at uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "hostfs: / is $(awk '$2=="/"{print $3}' /proc/mounts | tail -1), layers:"
for n in $(dmsetup ls | cut -f1); do echo "hostfs:   $n $(dmsetup status $n | awk '{print $3, "status", $NF}')"; done
echo "hostfs: manifest CA from the initrd: $(ls /factory/secure)"
poweroff -f
`;

async function boot(kernel: string, initrd: string, disk: string): Promise<void> {
  sh.say(`$ qemu-system-x86_64 -accel tcg -kernel vmlinuz -initrd initrd.img -drive file=disk.img,snapshot=on -append "console=ttyS0 quiet root=soci:name=mosboot"`);
  const r = await bootQemu({
    kernel,
    initrd,
    append: 'console=ttyS0 quiet panic=-1 root=soci:name=mosboot',
    disks: [{ file: disk, snapshot: true }],
    onLine: (l, ms) => {
      if (/^(mos-init|mos-bringup|hostfs):|device-mapper: verity|Kernel panic/.test(l)) console.log(`  [${(ms / 1000).toFixed(1).padStart(5)} s] ${l}`);
    },
  });
  sh.say(`qemu exited ${r.exitCode} after ${(r.durationMs / 1000).toFixed(1)} s${r.panicked ? ' (the initrd refused: PID 1 exited, the kernel panicked, pvpanic ended qemu)' : ''}`);
}

async function main(): Promise<void> {
  const kernel = await debianKernel();
  sh.step("A keyset, and its bootkit: Debian's kernel, our initramfs holding the keyset's manifest CA, the modules");
  sh.run('trust', ['keyset', 'add', 'demo']);
  sh.run('mosb', ['bootkit', 'build', '--keyset', 'demo', '--kernel', kernel.root]);

  sh.step('A hostfs image of two squashfs+verity layers: busybox and dmsetup, then an init that reports');
  const l1 = busyboxTree(join(work, 'l1'), { 'etc/hostname': 'mos-demo-machine\n' });
  copyWithLibs('/usr/sbin/dmsetup', l1);
  for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory', 'run', 'boot/efi']) mkdirSync(join(l1, d), { recursive: true });
  mkdirSync(join(work, 'l2', 'sbin'), { recursive: true });
  writeFileSync(join(work, 'l2', 'sbin', 'init'), HOSTFS_INIT, { mode: 0o755 });
  const images = join(work, 'images');
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'hostfs-1.0', l1, join(work, 'l2')]);

  sh.step('Publish the signed install manifest (publish adds the keyset bootkit as a target)');
  const { child, line } = await sh.start('mosctl', ['serve', '--root', join(work, 'registry'), '--addr', '127.0.0.1:0', '--json']);
  stops.push(() => child.kill('SIGTERM'));
  const registry = JSON.parse(line).address as string;
  const product = sh.quiet('trust', ['keyset', 'show', 'demo', 'manifest:default', 'uuid', '--value']).trim();
  const yaml = join(work, 'manifest.yaml');
  writeFileSync(yaml, `version: 1\nproduct: ${product}\nupdate_type: complete\ntargets:\n  - service_name: hostfs\n    source: oci:${images}:hostfs-1.0\n    version: 1.0.0\n    service_type: hostfs\n    nsgroup: ""\n    network: {type: host}\n`);
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/machine:1.0', yaml]);

  sh.step('Install onto a 512 MiB disk: verified first, then GPT (esp, machine-config, -store, -scratch), boot files to the ESP');
  const disk = join(work, 'disk.img');
  execFileSync('truncate', ['-s', '512M', disk]);
  const ca = join(work, 'keys', 'demo', 'manifest-ca', 'cert.pem');
  await withLoop(disk, (dev) => sh.run('mosctl', ['install', '--partition', dev, '--ca', ca, `${registry}/demo/machine:1.0`]));
  sh.run('sfdisk', ['--list', '--output', 'Device,Start,Size,Name', disk]);
  const esp = JSON.parse(execFileSync('sfdisk', ['--json', disk], { encoding: 'utf8' })).partitiontable.partitions[0].start * 512;
  for (const f of ['vmlinuz', 'initrd.img']) {
    execFileSync('mcopy', ['-i', `${disk}@@${esp}`, `::/EFI/BOOT/${f}`, join(work, f)], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  }

  sh.step("Boot the disk with the kernel and initramfs from its own ESP: every hostfs layer under kernel dm-verity");
  await boot(join(work, 'vmlinuz'), join(work, 'initrd.img'), disk);

  sh.step('Flip one byte of a hostfs layer on the disk (as anyone holding the disk could), and boot again');
  await withLoop(disk, (dev) => {
    const part = JSON.parse(execFileSync('sfdisk', ['--json', dev], { encoding: 'utf8' })).partitiontable.partitions.find((p: { name: string }) => p.name === 'machine-store').node;
    const mnt = join(work, 'store');
    mkdirSync(mnt);
    execFileSync('mount', [part, mnt]);
    try {
      const blobs = join(mnt, 'mos', 'blobs', 'sha256');
      // The top layer of the hostfs image (the one with the init), as the image manifest lists it.
      const index = JSON.parse(readFileSync(join(images, 'index.json'), 'utf8'));
      const manifest = JSON.parse(readFileSync(join(images, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
      const layer = manifest.layers[manifest.layers.length - 1].digest.slice(7);
      const fd = openSync(join(blobs, layer), 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, 200);
      b[0] ^= 0xff;
      writeSync(fd, b, 0, 1, 200);
      closeSync(fd);
      sh.say(`flipped byte 200 of layer ${layer.slice(0, 12)}… in the store partition`);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
  await boot(join(work, 'vmlinuz'), join(work, 'initrd.img'), disk);
}

main()
  .then(() => console.log('\nboot demo finished: the good disk booted over dm-verity, the tampered one did not'))
  .catch((e) => {
    console.error(`\nboot demo failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const stop of stops) stop();
    cleanupMounts(work);
    if (process.env.MOS_DEMO_KEEP === '1') console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });
