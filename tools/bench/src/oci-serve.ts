// Serving a pull to skopeo: `skopeo copy docker://<ours>/… oci:…` against our registry server
// (in this process, verifying blobs while serving) vs the same against docker-registry, same
// ~300 MiB 10-layer image. Goal: ours / docker-registry <= 1.0.
// Run (after `npx tsc -p packages/oci-store/tsconfig.lib.json`): npx tsx tools/bench/src/oci-serve.ts [LAYERS] [LAYER_MIB] [ROUNDS]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryServer } from '@mos/oci-store/server';
import { dockerRegistry, makeImage, report, settle, sh, timed } from './oci-lib';

const LAYERS = Number(process.argv[2] ?? 10);
const LAYER_MIB = Number(process.argv[3] ?? 30);
const ROUNDS = Number(process.argv[4] ?? 5);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oci-serve-'));
  const reg = await dockerRegistry();
  const ours = await RegistryServer.start({ root: join(dir, 'root'), addr: '127.0.0.1:0', verifyOnServe: process.env.VERIFY !== '0' });
  try {
    const m = await makeImage(join(dir, 'src'), LAYERS, LAYER_MIB);
    for (const host of [reg.host, ours.address]) {
      await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${host}/bench/img:v1`]);
    }
    console.log(`image ${m.digest}: ${LAYERS} layers x ${LAYER_MIB} MiB in both registries`);
    const a: number[] = [];
    const b: number[] = [];
    const pull = (host: string, out: string) => sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${host}/bench/img:v1`, `oci:${out}:v1`]);
    for (let r = 0; r < ROUNDS; r++) {
      const x = join(dir, `from-ours-${r}`);
      const y = join(dir, `from-reg-${r}`);
      const runOurs = async () => a.push(await timed(() => pull(ours.address, x)));
      const runReg = async () => b.push(await timed(() => pull(reg.host, y)));
      if (r % 2 === 0) { await runOurs(); settle(); await runReg(); } else { await runReg(); settle(); await runOurs(); }
      rmSync(x, { recursive: true, force: true });
      rmSync(y, { recursive: true, force: true });
      settle();
    }
    report(`serve ${LAYERS}x${LAYER_MIB} MiB to skopeo`, a, b, 'docker-registry', 1.0);
  } finally {
    await ours.close();
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
