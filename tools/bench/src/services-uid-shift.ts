// uid-shift cost of @mos/services: what it takes to make a container root look owned by its
// nsgroup's range. On overlay roots (the atomfs molecule) the kernel refuses idmapped mounts, so
// mos shifts ownership (lchown of every entry, which copies each file up into the upper dir).
// Measures, per tree (a busybox rootfs and /usr/include): shiftOwnership on a fresh writable
// molecule (median of ROUNDS), entries and bytes copied up; then lxc-execute of /bin/true with
// an idmapped rootfs (plain ext4 dir, lxc.rootfs.options = idmap=container) vs the same dir
// shifted; and whether lxc can idmap an overlay root here.
// Run as root (after building: npx tsc -p packages/<pkg>/tsconfig.lib.json for atomfs and services):
//   npx tsx tools/bench/src/services-uid-shift.ts [ROUNDS]
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, mountImage, umountMolecule } from '@mos/atomfs';
import { realSys } from '@mos/services';

const ROUNDS = Number(process.argv[2] ?? 3);
const HOSTID = 100000;
const SIZE = 65536;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

function busyboxTree(dir: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s']);
}

async function shiftBench(work: string, name: string, tree: string): Promise<void> {
  const layout = join(work, 'oci');
  await buildImage({ layout, tag: name, sources: [tree] });
  const times: number[] = [];
  let entries = 0;
  let upperBytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const dest = join(work, `root-${name}`);
    const scratch = join(work, 'scratch');
    const m = await mountImage({ image: `oci:${layout}:${name}`, dest, writable: true, scratch });
    try {
      const t = process.hrtime.bigint();
      entries = await realSys.shiftOwnership(dest, HOSTID, SIZE);
      times.push(ms(t));
      upperBytes = Number(execFileSync('du', ['-sb', m.upper!], { encoding: 'utf8' }).split('\t')[0]);
    } finally {
      await umountMolecule(dest, { scratch });
    }
  }
  const treeBytes = Number(execFileSync('du', ['-sb', tree], { encoding: 'utf8' }).split('\t')[0]);
  console.log(`shift ${name}: ${entries} entries, ${(treeBytes / 1e6).toFixed(1)} MB tree, ${(upperBytes / 1e6).toFixed(1)} MB copied up: median ${median(times).toFixed(0)} ms (runs ${times.map((x) => x.toFixed(0)).join(', ')} ms), ${((entries / median(times)) * 1000).toFixed(0)} entries/s`);
}

function lxcConfig(dir: string, rootfs: string, idmapped: boolean): void {
  mkdirSync(join(dir, 'c'), { recursive: true });
  writeFileSync(
    join(dir, 'c', 'config'),
    [
      `lxc.idmap = u 0 ${HOSTID} ${SIZE}`,
      `lxc.idmap = g 0 ${HOSTID} ${SIZE}`,
      `lxc.rootfs.path = dir:${rootfs}`,
      ...(idmapped ? ['lxc.rootfs.options = idmap=container'] : []),
      'lxc.net.0.type = empty',
      'lxc.execute.cmd = /bin/true',
      'lxc.console.path = none',
      'lxc.apparmor.profile = unchanged',
      `lxc.log.file = ${join(dir, 'c.log')}`,
      '',
    ].join('\n'),
  );
}

function startBench(work: string): void {
  const plain = join(work, 'plain');
  mkdirSync(plain);
  busyboxTree(plain);
  const shifted = join(work, 'shifted');
  cpSync(plain, shifted, { recursive: true, verbatimSymlinks: true });
  execFileSync('chown', ['-R', '-h', `${HOSTID}:${HOSTID}`, shifted]);
  const run = (rootfs: string, idmapped: boolean) => {
    const dir = mkdtempSync(join(work, 'lxc-'));
    chmodSync(dir, 0o755);
    lxcConfig(dir, rootfs, idmapped);
    const t = process.hrtime.bigint();
    const r = spawnSync('lxc-execute', ['-P', dir, '-n', 'c'], { encoding: 'utf8' });
    const took = ms(t);
    rmSync(dir, { recursive: true, force: true });
    return { took, ok: r.status === 0, err: r.stderr.trim().split('\n')[0] };
  };
  const idm: number[] = [];
  const chw: number[] = [];
  for (let r = 0; r < ROUNDS * 3; r++) {
    const a = run(plain, true);
    const b = run(shifted, false);
    if (!a.ok || !b.ok) throw new Error(`lxc-execute failed: ${a.err || b.err}`);
    idm.push(a.took);
    chw.push(b.took);
  }
  console.log(`lxc-execute /bin/true on ext4: idmapped rootfs median ${median(idm).toFixed(1)} ms, pre-shifted rootfs median ${median(chw).toFixed(1)} ms (idmapped mount costs ${(median(idm) - median(chw)).toFixed(1)} ms per start)`);
  // The root mos actually has is an overlay: can lxc idmap that here?
  const ov = join(work, 'ov');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(ov, d), { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${plain},upperdir=${join(ov, 'upper')},workdir=${join(ov, 'work')}`, join(ov, 'root')]);
  try {
    const o = run(join(ov, 'root'), true);
    console.log(`lxc idmapped rootfs on an overlay root: ${o.ok ? 'works' : `refused by the kernel (${o.err.replace(/^.*?: /, '')})`}`);
  } finally {
    execFileSync('umount', [join(ov, 'root')]);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync('/tmp/bench-uidshift-');
  chmodSync(work, 0o755);
  // lxc insists on root's subordinate ids when newuidmap is installed; restore the files after.
  const subuid = spawnSync('cat', ['/etc/subuid'], { encoding: 'utf8' }).stdout;
  const subgid = spawnSync('cat', ['/etc/subgid'], { encoding: 'utf8' }).stdout;
  try {
    spawnSync('usermod', ['-v', `${HOSTID}-${HOSTID + SIZE - 1}`, '-w', `${HOSTID}-${HOSTID + SIZE - 1}`, 'root']);
    const bb = join(work, 'busybox');
    mkdirSync(bb);
    busyboxTree(bb);
    await shiftBench(work, 'busybox', bb);
    const inc = join(work, 'include');
    cpSync('/usr/include', inc, { recursive: true, verbatimSymlinks: true });
    await shiftBench(work, 'usr-include', inc);
    startBench(work);
  } finally {
    writeFileSync('/etc/subuid', subuid);
    writeFileSync('/etc/subgid', subgid);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
