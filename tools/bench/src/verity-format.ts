// Verity format of 512 MiB: @mos/atomfs formatVerity vs `veritysetup format`, same input, same
// salt and uuid, alternating runs from a warm page cache. Goal: ours / theirs <= 0.8.
// Prints wall time (median and best of ROUNDS) and CPU time of both, the ratios, the load
// average (the machine may be shared: ours uses every core, veritysetup one), and checks that
// the outputs are identical byte for byte.
// Run (after `npx tsc -p packages/atomfs/tsconfig.lib.json`): npx tsx tools/bench/src/verity-format.ts [MiB] [ROUNDS]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatVerity } from '@mos/atomfs';

const MIB = Number(process.argv[2] ?? 512);
const ROUNDS = Number(process.argv[3] ?? 9);
const SALT = 'ab'.repeat(32);
const UUID = '01234567-89ab-cdef-0123-456789abcdef';

/** CPU seconds (user + sys) of waited-for children, from /proc/self/stat (cutime, cstime). */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-verity-'));
  try {
    const src = join(dir, 'src');
    const fd = openSync(src, 'w');
    for (let i = 0; i < MIB / 4; i++) writeSync(fd, randomBytes(4 << 20));
    closeSync(fd);
    const size = MIB * 1024 * 1024;
    const blocks = size / 4096;
    const ours: number[] = [];
    const theirs: number[] = [];
    let oursCpu = 0;
    let theirsCpu = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      copyFileSync(src, a);
      copyFileSync(src, b);
      execFileSync('sync'); // no writeback from the copies during either timing
      const runOurs = async () => {
        const t = process.hrtime.bigint();
        const c = process.cpuUsage(); // includes the worker threads
        await formatVerity(a, { hashOffset: size, salt: SALT, uuid: UUID });
        ours.push(Number(process.hrtime.bigint() - t) / 1e6);
        const d = process.cpuUsage(c);
        oursCpu += (d.user + d.system) / 1e6;
      };
      const runTheirs = () => {
        const t = process.hrtime.bigint();
        const c = childCpu();
        execFileSync('veritysetup', ['format', b, b, `--hash-offset=${size}`, `--data-blocks=${blocks}`, `--salt=${SALT}`, `--uuid=${UUID}`], { stdio: 'ignore' });
        theirs.push(Number(process.hrtime.bigint() - t) / 1e6);
        theirsCpu += childCpu() - c;
      };
      if (r % 2 === 0) {
        await runOurs();
        runTheirs();
      } else {
        runTheirs();
        await runOurs();
      }
      execFileSync('cmp', [a, b]); // throws if the outputs differ
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const min = (xs: number[]) => Math.min(...xs);
    const fmt = (xs: number[]) => `median ${med(xs).toFixed(0)} ms, best ${min(xs).toFixed(0)} ms  [${xs.map((x) => x.toFixed(0)).join(', ')}]`;
    console.log(`verity format of ${MIB} MiB, ${ROUNDS} rounds, outputs identical; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`  ours (formatVerity):  ${fmt(ours)}  ${(MIB / (med(ours) / 1000)).toFixed(0)} MiB/s, CPU ${((oursCpu / ROUNDS) * 1000).toFixed(0)} ms/run`);
    console.log(`  veritysetup format:   ${fmt(theirs)}  ${(MIB / (med(theirs) / 1000)).toFixed(0)} MiB/s, CPU ${((theirsCpu / ROUNDS) * 1000).toFixed(0)} ms/run`);
    console.log(`  ratio ours/theirs (wall, median) = ${(med(ours) / med(theirs)).toFixed(2)}; best/best = ${(min(ours) / min(theirs)).toFixed(2)}  (goal <= 0.80)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
