// Boot of N container services (default 20): `mosctl boot` until every service runs, against
// the bare sequence of lxc-execute starts it performs -- the same N lxc configs (the ones mosctl
// rendered), the same kind of roots (atomfs molecules, mounted untimed for the baseline), N
// `lxc-execute` started at once and polled with lxc-info until all are RUNNING.
// `mosctl boot` is timed cold (no supervisor yet: node starts mosctl and the supervisor, the
// state is re-verified, N roots mounted, configs written, containers started) and warm (a
// supervisor already runs). Goal: cold / bare <= 1.5.
// Run as root after building (npm run build, or npx tsc -p packages/<pkg>/tsconfig.lib.json):
//   npx tsx tools/bench/src/services-boot.ts [N] [ROUNDS] [--nsgroup]
// --nsgroup puts every service in one nsgroup, so mos also shifts each root's ownership.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { buildImage, mountImage, umountMolecule } from '@mos/atomfs';
import { HOST_POLICY, initState, loadInstallManifest, systemForInstall } from '@mos/manifest';
import { LayoutStore } from '@mos/oci-store';
import { addKeyset, projectInfo, signDetached } from '@mos/trust';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 20);
const ROUNDS = Number(args[1] ?? 3);
const NSGROUP = process.argv.includes('--nsgroup');
const top = resolve(__dirname, '..', '..', '..');
const MOSCTL = join(top, 'packages/mosctl/bin/mosctl.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const names = Array.from({ length: N }, (_, i) => `s${String(i).padStart(2, '0')}`);
const mosctl = (...a: string[]) => execFileSync(process.execPath, [MOSCTL, ...a], { encoding: 'utf8' });

async function makeSystem(work: string): Promise<{ root: string; digest: string }> {
  const keysDir = join(work, 'keys');
  await addKeyset({ name: 'bench', dir: keysDir });
  const proj = await projectInfo({ keyset: 'bench', project: 'default', dir: keysDir });
  const root = join(work, 'root');
  mkdirSync(join(root, 'factory/secure'), { recursive: true });
  mkdirSync(join(root, 'config'));
  copyFileSync(join(keysDir, 'bench/manifest-ca/cert.pem'), join(root, 'factory/secure/manifestCA.pem'));
  const rootfs = join(work, 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  execFileSync('chroot', [rootfs, '/bin/busybox', '--install', '-s']);
  writeFileSync(join(rootfs, 'run.sh'), '#!/bin/sh\nexec sleep 100000\n', { mode: 0o755 });
  const layout = join(root, 'atomfs-store/mos');
  const built = await buildImage({ layout, tag: 'bench', sources: [rootfs], entrypoint: ['/run.sh'] });
  const store = await LayoutStore.open(layout);
  await store.tag(built.manifest, built.manifest.digest);
  const targets = names.map((n) => ({
    service_name: n,
    version: '1.0.0',
    service_type: 'container',
    network: { type: 'none', ipv4: '', ipv6: '', ports: null },
    nsgroup: NSGROUP ? 'bench' : '',
    digest: built.manifest.digest,
    storage: null,
    size: built.manifest.size,
  }));
  const json = Buffer.from(JSON.stringify({ version: 1, product: proj.uuid, storage: null, targets, update_type: 'complete' }));
  const sha256 = createHash('sha256').update(json).digest('hex');
  const signed = { sha256, json, signature: signDetached({ data: json, key: readFileSync(join(proj.dir, 'privkey.pem')) }), certificate: readFileSync(join(proj.dir, 'cert.pem')) };
  const system = systemForInstall({ sha256, manifest: loadInstallManifest(json).manifest }, HOST_POLICY);
  await initState({ configDir: join(root, 'config'), state: { system, installs: [signed] } });
  return { root, digest: built.manifest.digest };
}

function allRunning(root: string): boolean {
  const s = JSON.parse(mosctl('services', '--rfs', root, '--json'));
  return s.services.length === N && s.services.every((x: { state: string }) => x.state === 'running');
}

async function bare(lxcPath: string): Promise<number> {
  const t = process.hrtime.bigint();
  const procs = names.map((n) => spawn('lxc-execute', ['-P', lxcPath, '-n', n], { stdio: 'ignore', detached: true }));
  const pending = new Set(names);
  for (let wait = 5; pending.size; wait = Math.min(wait * 2, 50)) {
    for (const n of [...pending]) {
      const r = spawnSync('lxc-info', ['-P', lxcPath, '-n', n, '-s'], { encoding: 'utf8' });
      if (/RUNNING/.test(r.stdout)) pending.delete(n);
    }
    if (pending.size) await sleep(wait);
  }
  const took = ms(t);
  for (const n of names) spawnSync('lxc-stop', ['-P', lxcPath, '-n', n, '-k']);
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.on('exit', r)))));
  return took;
}

async function main(): Promise<void> {
  if (!existsSync(join(top, 'packages/mosctl/dist/cli/main.js'))) throw new Error('build first: npm run build');
  const work = mkdtempSync('/tmp/bench-boot-');
  chmodSync(work, 0o755);
  const subids = ['/etc/subuid', '/etc/subgid'].map((f) => [f, existsSync(f) ? readFileSync(f, 'utf8') : ''] as const);
  const { root, digest } = await makeSystem(work);
  const cold: number[] = [];
  const warm: number[] = [];
  const bares: number[] = [];
  const mounts: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      let t = process.hrtime.bigint();
      mosctl('boot', '--rfs', root);
      cold.push(ms(t));
      if (!allRunning(root)) throw new Error('mosctl boot returned before every service ran');
      // The configs mosctl rendered are the baseline's configs.
      const lxcPath = join(work, `bare-${r}`);
      cpSync(join(root, 'var/lib/lxc'), lxcPath, { recursive: true });
      mosctl('supervise', '--stop', '--rfs', root);

      const sup = spawn(process.execPath, [MOSCTL, 'supervise', '--rfs', root], { stdio: 'ignore', detached: true });
      while (!existsSync(join(root, 'run/mos/supervisor.sock'))) await sleep(10);
      await sleep(100);
      t = process.hrtime.bigint();
      mosctl('boot', '--rfs', root);
      warm.push(ms(t));
      mosctl('supervise', '--stop', '--rfs', root);
      await new Promise((res) => (sup.exitCode !== null ? res(null) : sup.on('exit', res)));

      const scratch = join(root, 'scratch-writes/atomfs');
      t = process.hrtime.bigint();
      for (const n of names) await mountImage({ image: { layout: join(root, 'atomfs-store/mos'), digest }, dest: join(root, 'scratch-writes/roots', n), writable: true, scratch });
      mounts.push(ms(t));
      try {
        bares.push(await bare(lxcPath));
      } finally {
        for (const n of names) await umountMolecule(join(root, 'scratch-writes/roots', n), { scratch });
        rmSync(lxcPath, { recursive: true, force: true });
      }
      console.log(`round ${r + 1}: mosctl boot cold ${cold[r].toFixed(0)} ms, warm ${warm[r].toFixed(0)} ms; bare lxc-execute x${N} ${bares[r].toFixed(0)} ms (atomfs mounts of the ${N} roots, sequential: ${mounts[r].toFixed(0)} ms)`);
    }
    const b = median(bares);
    console.log(`\n${N} services${NSGROUP ? ' in one nsgroup (roots uid-shifted)' : ' without nsgroup'}, median of ${ROUNDS}:`);
    console.log(`  mosctl boot (cold, starts the supervisor): ${median(cold).toFixed(0)} ms   ratio ${(median(cold) / b).toFixed(2)}x`);
    console.log(`  mosctl boot (supervisor running):         ${median(warm).toFixed(0)} ms   ratio ${(median(warm) / b).toFixed(2)}x`);
    console.log(`  bare lxc-execute x${N} until RUNNING:      ${b.toFixed(0)} ms`);
    const bm = median(bares.map((x, i) => x + mounts[i]));
    console.log(`  bare + the ${N} atomfs root mounts:        ${bm.toFixed(0)} ms   (cold / this ${(median(cold) / bm).toFixed(2)}x, warm / this ${(median(warm) / bm).toFixed(2)}x)`);
    console.log(`  goal: cold <= 1.5x bare -> ${median(cold) / b <= 1.5 ? 'met' : 'NOT met'}`);
  } finally {
    spawnSync(process.execPath, [MOSCTL, 'supervise', '--stop', '--rfs', root]);
    for (const [f, text] of subids) writeFileSync(f, text);
    const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(work + '/')).reverse();
    for (const m of mounts()) spawnSync('umount', [m]);
    // Never rm -rf through a mount that is still there.
    if (mounts().length === 0) rmSync(work, { recursive: true, force: true });
    else console.error(`mounts left under ${work}: ${mounts().join(', ')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
