// Peak RSS while pulling a 1 GiB blob (one-layer image) from docker-registry into a layout with
// @mos/oci-store, measured as VmHWM of a separate node process doing only the pull.
// Goal: <= 150 MiB. Also prints skopeo's peak RSS for the same pull, for comparison.
// Run (after `npx tsc -p packages/oci-store/tsconfig.lib.json`): npx tsx tools/bench/src/oci-rss.ts [MIB]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerRegistry, makeImage, sh } from './oci-lib';

const SIZE_MIB = Number(process.argv[2] ?? 1024);

/** Runs a command and returns its peak RSS in KiB (ru_maxrss of the child, via /usr/bin/time if present, else VmHWM). */
function peakRss(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let hwm = 0;
    let out = '';
    const poll = setInterval(() => {
      try {
        const s = require('node:fs').readFileSync(`/proc/${c.pid}/status`, 'utf8') as string;
        hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0));
      } catch { /* exited */ }
    }, 20);
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    c.once('close', (code) => {
      clearInterval(poll);
      const reported = Number(/VmHWM=(\d+)/.exec(out)?.[1] ?? 0);
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${out}`));
      else resolve(Math.max(hwm, reported));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oci-rss-'));
  const reg = await dockerRegistry();
  try {
    const m = await makeImage(join(dir, 'src'), 1, SIZE_MIB);
    await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${reg.host}/bench/big:v1`]);
    rmSync(join(dir, 'src'), { recursive: true, force: true });
    console.log(`image ${m.digest}: one ${SIZE_MIB} MiB layer in docker-registry`);
    const script = `require('@mos/oci-store').copy(${JSON.stringify(`docker://${reg.host}/bench/big:v1`)}, ${JSON.stringify(`oci:${join(dir, 'ours')}:v1`)})` +
      `.then(() => console.log('VmHWM=' + /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]))`;
    const ours = await peakRss('node', ['-e', script]);
    rmSync(join(dir, 'ours'), { recursive: true, force: true });
    const skopeo = await peakRss('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/bench/big:v1`, `oci:${join(dir, 'sk')}:v1`]);
    console.log(`peak RSS pulling ${SIZE_MIB} MiB: ours ${(ours / 1024).toFixed(1)} MiB (goal <= 150: ${ours / 1024 <= 150 ? 'met' : 'NOT met'}), skopeo ${(skopeo / 1024).toFixed(1)} MiB`);
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
