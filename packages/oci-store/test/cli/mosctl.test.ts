// The mosctl store commands and `mosctl serve`, run as real processes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType } from '@mos/oci-store';
import { buildImage } from '../helpers/image';
import { mosctl, mosctlServe } from '../helpers/mosctl';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('mosctl store … and mosctl serve', () => {
  it('copies through a served registry, lists, inspects, fscks (exit 3 on corruption) and gcs', async () => {
    const src = join(dirs.make(), 'src');
    const s = await LayoutStore.open(src, { create: true });
    const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity, layers: 2, layerSize: 100_000 });
    await s.tag(img.manifest, 'v1');
    const hex = img.manifest.digest.slice(7);
    const served = await mosctlServe(['--root', dirs.make()]);
    try {
      const push = await mosctl(['store', 'copy', '--json', '--progress=json', `oci:${src}:v1`, `docker://${served.host}/mos:${hex}`]);
      expect(push.status).toBe(0);
      expect(JSON.parse(push.stdout)).toMatchObject({ digest: img.manifest.digest, copied: 4 });
      const events = push.stderr.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => e.kind === 'blob' && e.phase === 'done').map((e) => e.digest).sort()).toEqual([...img.layers.map((l) => l.digest), img.config.digest].sort());

      const dst = join(dirs.make(), 'store');
      const pull = await mosctl(['store', 'copy', `docker://${served.host}/mos:${hex}`, `oci:${dst}:sha256:${hex}`]);
      expect(pull.status).toBe(0);
      expect(pull.stdout).toContain(img.manifest.digest);

      const ls = await mosctl(['store', 'ls', '--json', `oci:${dst}`]);
      expect(JSON.parse(ls.stdout).images).toEqual([expect.objectContaining({ tag: `sha256:${hex}` })]);
      const tags = await mosctl(['store', 'ls', `docker://${served.host}/mos`]);
      expect(tags.stdout.trim()).toBe(hex);
      const raw = await mosctl(['store', 'inspect', '--raw', `oci:${dst}:sha256:${hex}`]);
      expect(raw.stdout).toBe(img.blobs.get(img.manifest.digest)!.toString());

      expect((await mosctl(['store', 'fsck', dst])).status).toBe(0);
      const victim = join(dst, 'blobs', 'sha256', img.layers[0].digest.slice(7));
      const b = readFileSync(victim);
      b[0] ^= 1;
      writeFileSync(victim, b);
      const bad = await mosctl(['store', 'fsck', '--json', dst]);
      expect(bad.status).toBe(3);
      expect(JSON.parse(bad.stdout).layouts[0].problems).toEqual([expect.objectContaining({ kind: 'corrupt', digest: img.layers[0].digest })]);
      expect((await mosctl(['store', 'fsck', '--repair', dst])).status).toBe(3);
      const healed = await mosctl(['store', 'copy', `docker://${served.host}/mos:${hex}`, `oci:${dst}:sha256:${hex}`]);
      expect(healed.status).toBe(0);
      expect((await mosctl(['store', 'fsck', dst])).status).toBe(0);

      const gc = await mosctl(['store', 'gc', '--json', '--dry-run', dst]);
      expect(JSON.parse(gc.stdout).layouts[0]).toMatchObject({ dryRun: true, removed: [] });

      const missing = await mosctl(['store', 'copy', `oci:${dst}:nope`, `oci:${join(dirs.make(), 'x')}:v1`]);
      expect(missing.status).toBe(4);
      expect(missing.stderr).toMatch(/tag "nope" not found/);
      const unknown = await mosctl(['store', 'copy', `docker://${served.host}/mos:nope`, `oci:${join(dirs.make(), 'y')}:v1`]);
      expect(unknown.status).toBe(4);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});
