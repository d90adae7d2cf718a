// Layout → layout import of a ~300 MiB, 10-layer image on the same filesystem:
// @mos/oci-store `copy oci:… oci:…` (in-process, verified, durability barrier) vs
// `skopeo copy oci:… oci:…` (goal: ours / skopeo <= 0.7) and vs the physical limit
// `cp` of the blobs + `sha256sum` of the copies (reported as a ratio, no goal).
// Run (after `npx tsc -p packages/oci-store/tsconfig.lib.json`): npx tsx tools/bench/src/oci-import.ts [LAYERS] [LAYER_MIB] [ROUNDS]
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copy } from '@mos/oci-store';
import { makeImage, report, settle, sh, timed } from './oci-lib';

const LAYERS = Number(process.argv[2] ?? 10);
const LAYER_MIB = Number(process.argv[3] ?? 30);
const ROUNDS = Number(process.argv[4] ?? 5);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oci-import-'));
  try {
    const src = join(dir, 'src');
    const m = await makeImage(src, LAYERS, LAYER_MIB);
    console.log(`image ${m.digest}: ${LAYERS} layers x ${LAYER_MIB} MiB`);
    const blobs = readdirSync(join(src, 'blobs', 'sha256')).map((b) => join(src, 'blobs', 'sha256', b));
    const ours: number[] = [];
    const skopeo: number[] = [];
    const cp: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = join(dir, `ours-${r}`);
      const b = join(dir, `skopeo-${r}`);
      const c = join(dir, `cp-${r}`);
      const runs = [
        async () => ours.push(await timed(() => copy(`oci:${src}:v1`, `oci:${a}:v1`))),
        async () => skopeo.push(await timed(() => sh('skopeo', ['copy', '--quiet', `oci:${src}:v1`, `oci:${b}:v1`]))),
        async () => cp.push(await timed(async () => {
          mkdirSync(c, { recursive: true });
          await sh('cp', [...blobs, c]);
          await sh('sha256sum', readdirSync(c).map((f) => join(c, f)));
        })),
      ];
      for (let i = 0; i < runs.length; i++) {
        await runs[(i + r) % runs.length]();
        settle();
      }
      for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
      settle();
    }
    report(`import ${LAYERS}x${LAYER_MIB} MiB layout -> layout`, ours, skopeo, 'skopeo', 0.7);
    report(`import ${LAYERS}x${LAYER_MIB} MiB layout -> layout`, ours, cp, 'cp+sha256sum');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
