// Boot of an installed disk under qemu (TCG), in one run:
//  1. our bringup (node + the bundle: re-verify the signed state, dm-verity tables from the
//     verity superblocks, mounts, handover) vs a shell /init doing the same mounts and dmsetup
//     calls with everything precomputed on the host and trusted blindly: time from "modules
//     loaded" to hostfs's init (goal ≤ 1.3×), alternating rounds, same initramfs otherwise;
//  2. the bringup bundle's size (goal ≤ 2 MiB);
//  3. initramfs size per compression and the kernel's unpack time (uptime at /init, minus
//     "none");
//  4. the boot timeline: qemu start → kernel → /init → modules → bringup done → hostfs init.
// Run as root after `npx nx run-many -t build`:  npx tsx tools/bench/src/boot-bringup.ts [ROUNDS]
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateVerity, resolveImageLayers, verityTable } from '@mos/atomfs';
import { bootQemu, busyboxTree, debianKernel, runOk, startDockerRegistry, TOP, withLoop, type BootResult } from '@mos/test-utils';

const ROUNDS = Number(process.argv[2] ?? 3);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

// After the marker: what a whole-layer check before switch_root would cost, i.e. reading every
// mapped layer once through dm-verity (the blocks are not in the page cache yet).
const HOSTFS_INIT = `#!/bin/sh
echo "MARK:hostfs-init $(cut -d' ' -f1 /proc/uptime)"
t0=$(cut -d' ' -f1 /proc/uptime); n=0
for d in /dev/mapper/*-verity; do n=$((n + $(blockdev --getsize64 $d))); cat $d > /dev/null; done
echo "MARK:fullread $n $t0 $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
`;

/** Seconds since kernel start at each step of one boot, from the console. */
function timeline(r: BootResult): Record<string, number> {
  const t: Record<string, number> = {};
  const grab = (key: string, re: RegExp) => {
    for (const l of r.lines) {
      const m = re.exec(l);
      if (m) return void (t[key] = Number(m[1]));
    }
  };
  grab('init', /mos-init: started \(uptime ([\d.]+) s\)/);
  grab('modules', /mos-init: modules loaded \(uptime ([\d.]+) s\)/);
  grab('bringupStart', /mos-bringup: started \(uptime ([\d.]+) s\)/);
  grab('bringupDone', /mos-bringup: done in \d+ ms \(uptime ([\d.]+) s\)/);
  grab('hostfs', /MARK:hostfs-init ([\d.]+)/);
  for (const l of r.lines) {
    const m = /MARK:fullread (\d+) ([\d.]+) ([\d.]+)/.exec(l);
    if (m) [t.fullreadBytes, t.fullreadSecs] = [Number(m[1]), Number(m[3]) - Number(m[2])];
  }
  if (t.hostfs === undefined) throw new Error(`boot did not reach hostfs:\n${r.log.slice(-3000)}`);
  return t;
}

/** The same mounts bringup makes, with table lines computed on the host: no verification at all. */
function shellInit(layers: { id: string; table: string }[], kver: string): string {
  const mountLayer = layers
    .map(
      (l, i) => `dev=$(losetup -f); losetup -r $dev /atomfs-store/mos/blobs/sha256/${l.id}
DM_DISABLE_UDEV=1 dmsetup create ${l.id}-verity --readonly --table "${l.table.replace('DEV DEV', '$dev $dev')}"
mkdir -p /scratch-writes/layers/${i}; mount -t squashfs -o ro /dev/mapper/${l.id}-verity /scratch-writes/layers/${i}`,
    )
    .join('\n');
  const lowers = layers.map((_, i) => `/scratch-writes/layers/${i}`).reverse().join(':');
  return `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev; mount -t tmpfs tmpfs /run
mkdir -p /sysroot
up() { read -r u _ < /proc/uptime; echo $u; }
echo "mos-init: started (uptime $(up) s)"
while read -r m; do insmod /lib/modules/${kver}/$m 2>/dev/null; done < /etc/mos/modules
echo "mos-init: modules loaded (uptime $(up) s)"
part() { for u in /sys/class/block/*/uevent; do grep -q "^PARTNAME=$1$" $u && { sed -n 's/^DEVNAME=//p' $u; return; }; done; }
while [ -z "$(part machine-scratch)" ]; do sleep 0.05; done
mkdir -p /config /atomfs-store /scratch-writes
mount -t ext4 -o ro /dev/$(part machine-config) /config
mount -t ext4 -o ro /dev/$(part machine-store) /atomfs-store
mount -t ext4 -o rw /dev/$(part machine-scratch) /scratch-writes
${mountLayer}
rm -rf /scratch-writes/sh-upper /scratch-writes/sh-work; mkdir -p /scratch-writes/sh-upper /scratch-writes/sh-work
mount -t overlay -o lowerdir=${lowers},upperdir=/scratch-writes/sh-upper,workdir=/scratch-writes/sh-work overlay /sysroot
mkdir -p /sysroot/factory; mount -t tmpfs tmpfs /sysroot/factory; mkdir -p /sysroot/factory/secure; cp /manifestCA.pem /sysroot/factory/secure/
for d in config atomfs-store scratch-writes dev proc sys run; do mkdir -p /sysroot/$d; mount --move /$d /sysroot/$d; done
exec switch_root /sysroot /sbin/init
`;
}

async function main(): Promise<void> {
  const kernel = await debianKernel();
  const dir = mkdtempSync(join(tmpdir(), 'bench-boot-'));
  const registry = await startDockerRegistry();
  try {
    const env = { ...process.env, MOS_KEYSETS_DIR: join(dir, 'keys') };
    await runOk('trust', ['keyset', 'add', 'bench'], { env });
    const ca = join(dir, 'keys', 'bench', 'manifest-ca', 'cert.pem');
    const l1 = busyboxTree(join(dir, 'l1'));
    for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory', 'run']) mkdirSync(join(l1, d), { recursive: true });
    mkdirSync(join(dir, 'l2', 'sbin'), { recursive: true });
    writeFileSync(join(dir, 'l2', 'sbin', 'init'), HOSTFS_INIT, { mode: 0o755 });
    // Incompressible payload, so the full read has something to verify (a typical service layer's size).
    execFileSync('dd', ['if=/dev/urandom', `of=${join(dir, 'l2', 'payload.bin')}`, 'bs=1M', 'count=32', 'status=none']);
    const layout = join(dir, 'oci');
    await runOk('atomfs', ['build', '--layout', layout, '--tag', 'hostfs', l1, join(dir, 'l2')]);
    const product = (await runOk('trust', ['keyset', 'show', 'bench', 'manifest:default', 'uuid', '--value'], { env })).stdout.trim();
    const yaml = join(dir, 'manifest.yaml');
    writeFileSync(yaml, `version: 1\nproduct: ${product}\nupdate_type: complete\ntargets:\n  - service_name: hostfs\n    source: oci:${layout}:hostfs\n    version: 1.0.0\n    service_type: hostfs\n    nsgroup: ""\n    network: {type: host}\n`);
    await runOk('mosb', ['manifest', 'publish', '--project', 'bench:default', '--repo', registry.host, '--name', 'bench/install:1', '--skip-bootkit', yaml], { env });
    const disk = join(dir, 'disk.img');
    sh('truncate', ['-s', '512M', disk]);
    await withLoop(disk, (dev) => runOk('mosctl', ['install', '--partition', dev, '--ca', ca, `${registry.host}/bench/install:1`], { env }));

    // Initramfs per compression (ours), and the shell variant: ours unpacked, /init replaced.
    const sizes: Record<string, number> = {};
    for (const c of ['zstd', 'gzip', 'lz4', 'none']) {
      await runOk('mosb', ['initrd', 'build', '--ca', ca, '--kernel', kernel.root, '--compress', c, '--out', join(dir, `initrd.${c}`)]);
      sizes[c] = statSync(join(dir, `initrd.${c}`)).size;
    }
    const image = await resolveImageLayers({ layout, tag: 'hostfs' });
    const layers = [];
    for (const l of image.layers) {
      const loc = await locateVerity(l.path);
      layers.push({ id: l.id, table: (await verityTable({ file: l.path, device: 'DEV', hashOffset: loc.hashOffset, rootHash: l.rootHash! })).table });
    }
    const tree = join(dir, 'shell-tree');
    mkdirSync(tree);
    execFileSync('sh', ['-c', `zstd -dc ${join(dir, 'initrd.zstd')} | (cd ${tree} && cpio -idm --quiet)`]);
    writeFileSync(join(tree, 'init'), shellInit(layers, kernel.kver));
    chmodSync(join(tree, 'init'), 0o755);
    execFileSync('sh', ['-c', `cd ${tree} && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | zstd -3 -T0 -q > ${join(dir, 'initrd.shell')}`]);

    const boot = (initrd: string) =>
      bootQemu({
        kernel: kernel.vmlinux ?? kernel.vmlinuz,
        initrd: join(dir, initrd),
        append: 'console=ttyS0 quiet panic=-1 root=soci:name=mosboot',
        disks: [{ file: disk, snapshot: true }],
        until: /MARK:fullread/,
      });
    const ours: Record<string, number>[] = [];
    let trace: string[] = [];
    const shell: Record<string, number>[] = [];
    const starts: Record<string, number[]> = { zstd: [], gzip: [], lz4: [], none: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const r = await boot('initrd.zstd');
      ours.push(timeline(r));
      if (i === 0) trace = r.lines.filter((l) => /mos-(init|bringup):/.test(l));
      shell.push(timeline(await boot('initrd.shell')));
      for (const c of ['gzip', 'lz4', 'none']) starts[c].push(timeline(await boot(`initrd.${c}`)).init);
    }
    starts.zstd = ours.map((t) => t.init);
    const span = (ts: Record<string, number>[]) => med(ts.map((t) => t.hostfs - t.modules));
    const bundle = statSync(join(TOP, 'packages', 'bringup', 'dist', 'bringup.js')).size;
    console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${ROUNDS} rounds, PVH ${kernel.vmlinux ? 'yes' : 'no'}, TCG`);
    console.log(`bringup bundle: ${(bundle / 1048576).toFixed(2)} MiB (goal ≤ 2 MiB)`);
    console.log('initramfs     size (MB)   uptime at /init (s, median)   unpack vs none (s)');
    for (const c of ['none', 'lz4', 'zstd', 'gzip']) {
      console.log(`${c.padEnd(12)}  ${(sizes[c] / 1e6).toFixed(1).padStart(9)}   ${med(starts[c]).toFixed(2).padStart(27)}   ${(med(starts[c]) - med(starts.none)).toFixed(2).padStart(18)}`);
    }
    const t = (k: string) => med(ours.map((x) => x[k])).toFixed(2);
    console.log(`timeline (ours, median uptime s): /init ${t('init')}, modules loaded ${t('modules')}, bringup started ${t('bringupStart')}, bringup done ${t('bringupDone')}, hostfs init ${t('hostfs')}`);
    console.log(`modules loaded → hostfs init: ours ${span(ours).toFixed(2)} s, shell ${span(shell).toFixed(2)} s, ratio ${(span(ours) / span(shell)).toFixed(2)} (goal ≤ 1.3)`);
    const mb = med(ours.map((x) => x.fullreadBytes)) / 1e6;
    const secs = med(ours.map((x) => x.fullreadSecs));
    console.log(`whole-layer check before switch_root (not done; its cost): reading all ${mb.toFixed(1)} MB of hostfs through dm-verity takes ${secs.toFixed(2)} s (${(mb / secs).toFixed(1)} MB/s under TCG)`);
    console.log(`one boot of ours, as the console showed it:\n${trace.map((l) => `  ${l}`).join('\n')}`);
    console.log(`  of ours: node start to bringup running ${med(ours.map((x) => x.bringupStart - x.modules)).toFixed(2)} s, bringup's work ${med(ours.map((x) => x.bringupDone - x.bringupStart)).toFixed(2)} s`);
  } finally {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
