// Pull of a ~300 MiB, 10-layer image from docker-registry on loopback into an OCI layout:
// @mos/oci-store `copy` (in-process, with its durability barrier) vs `skopeo copy docker://… oci:…`.
// Goal: ours / skopeo <= 0.8. Alternating rounds, fresh destination each time, `sync` between.
// Run (after `npx tsc -p packages/oci-store/tsconfig.lib.json`): npx tsx tools/bench/src/oci-pull.ts [LAYERS] [LAYER_MIB] [ROUNDS]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copy } from '@mos/oci-store';
import { dockerRegistry, makeImage, report, settle, sh, timed } from './oci-lib';

const LAYERS = Number(process.argv[2] ?? 10);
const LAYER_MIB = Number(process.argv[3] ?? 30);
const ROUNDS = Number(process.argv[4] ?? 5);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oci-pull-'));
  const reg = await dockerRegistry();
  try {
    const m = await makeImage(join(dir, 'src'), LAYERS, LAYER_MIB);
    await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${reg.host}/bench/img:v1`]);
    console.log(`image ${m.digest}: ${LAYERS} layers x ${LAYER_MIB} MiB in docker-registry at ${reg.host}`);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = join(dir, `ours-${r}`);
      const b = join(dir, `skopeo-${r}`);
      const runOurs = async () => ours.push(await timed(() => copy(`docker://${reg.host}/bench/img:v1`, `oci:${a}:v1`)));
      const runTheirs = async () => theirs.push(await timed(() => sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/bench/img:v1`, `oci:${b}:v1`])));
      if (r % 2 === 0) { await runOurs(); settle(); await runTheirs(); } else { await runTheirs(); settle(); await runOurs(); }
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
      settle();
    }
    report(`pull ${LAYERS}x${LAYER_MIB} MiB docker-registry -> layout`, ours, theirs, 'skopeo', 0.8);
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
