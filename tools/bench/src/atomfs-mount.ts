// Mount of a 10-layer image: @mos/atomfs mountMolecule (verified-loop backend: each layer is
// re-hashed against its root hash, then loop-mounted; then the overlay) vs the bare mount calls
// it makes (10 × `mount -t squashfs -o loop,ro`, 1 × `mount -t overlay`), same layers, alternating
// rounds. Also reported: ours with verification skipped (insecure, no root hashes), which is the
// bookkeeping overhead alone (records, lock, mountinfo reads). Umount is timed the same way.
// Run as root (after `npx tsc -p packages/atomfs/tsconfig.lib.json`):
//   npx tsx tools/bench/src/atomfs-mount.ts [LAYERS] [MiB-per-layer] [ROUNDS]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLayer, mountMolecule, umountMolecule, type LayerSpec } from '@mos/atomfs';

const LAYERS = Number(process.argv[2] ?? 10);
const MIB = Number(process.argv[3] ?? 8);
const ROUNDS = Number(process.argv[4] ?? 7);

const now = () => Number(process.hrtime.bigint()) / 1e6;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mount-'));
  const mounted: string[] = [];
  try {
    const layers: LayerSpec[] = [];
    for (let i = 0; i < LAYERS; i++) {
      const src = join(dir, `src${i}`);
      mkdirSync(join(src, `l${i}`), { recursive: true });
      // Incompressible files so each layer really holds MIB of data to verify.
      for (let f = 0; f < MIB * 4; f++) writeFileSync(join(src, `l${i}`, `f${f}`), randomBytes(256 * 1024));
      writeFileSync(join(src, 'shared'), `layer ${i}\n`);
      const r = await buildLayer({ source: src, out: join(dir, `layer${i}.sqfs`) });
      layers.push({ id: `layer${i}`, path: r.path, rootHash: r.rootHash });
    }
    const ours = { mount: [] as number[], umount: [] as number[] };
    const insecure = { mount: [] as number[], umount: [] as number[] };
    const bare = { mount: [] as number[], umount: [] as number[] };

    const runOurs = async (acc: typeof ours, verify: boolean) => {
      const dest = join(dir, verify ? 'ours' : 'insecure');
      const ls = verify ? layers : layers.map(({ id, path }) => ({ id, path }));
      let t = now();
      await mountMolecule({ dest, layers: ls, scratch: join(dir, 'scratch'), insecure: !verify });
      acc.mount.push(now() - t);
      mounted.push(dest);
      t = now();
      await umountMolecule(dest);
      acc.umount.push(now() - t);
      mounted.pop();
    };
    const runBare = () => {
      const base = join(dir, 'bare');
      const points = layers.map((l) => join(base, l.id));
      for (const p of points) mkdirSync(p, { recursive: true });
      const dest = join(base, 'root');
      mkdirSync(dest, { recursive: true });
      let t = now();
      for (const [i, l] of layers.entries()) {
        execFileSync('mount', ['-t', 'squashfs', '-o', 'loop,ro', l.path, points[i]]);
        mounted.push(points[i]);
      }
      execFileSync('mount', ['-t', 'overlay', '-o', `ro,lowerdir=${[...points].reverse().join(':')},index=off,userxattr`, 'overlay', dest]);
      mounted.push(dest);
      bare.mount.push(now() - t);
      t = now();
      while (mounted.length) execFileSync('umount', [mounted.pop()!]);
      bare.umount.push(now() - t);
    };
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        await runOurs(ours, true);
        runBare();
        await runOurs(insecure, false);
      } else {
        await runOurs(insecure, false);
        runBare();
        await runOurs(ours, true);
      }
    }
    const line = (name: string, a: { mount: number[]; umount: number[] }) =>
      `  ${name.padEnd(36)} mount median ${med(a.mount).toFixed(1)} ms [${a.mount.map((x) => x.toFixed(0)).join(', ')}]  umount median ${med(a.umount).toFixed(1)} ms`;
    console.log(`${LAYERS}-layer image, ${MIB} MiB per layer, ${ROUNDS} rounds; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(line('ours, verified-loop (re-hash + mount)', ours));
    console.log(line('ours, verification skipped', insecure));
    console.log(line('bare mount calls', bare));
    console.log(`  mount ratio ours/bare = ${(med(ours.mount) / med(bare.mount)).toFixed(2)} (verified), ${(med(insecure.mount) / med(bare.mount)).toFixed(2)} (bookkeeping only)`);
    console.log(`  umount ratio ours/bare = ${(med(ours.umount) / med(bare.umount)).toFixed(2)}`);
  } finally {
    while (mounted.length) execFileSync('umount', ['-l', mounted.pop()!], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
