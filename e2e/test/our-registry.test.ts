import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runOk, startOurRegistry, type OurRegistry } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, stopWorld, type World } from './helpers/world';

// Publish and install through our own registry: there the referrers API answers (no tag
// fallback), which is what a livecd's repo=local uses.
let w: World;
let ours: OurRegistry;
let root: string;

beforeAll(async () => {
  w = await makeWorld();
  ours = await startOurRegistry();
});
afterAll(async () => {
  await ours?.stop();
  await stopWorld(w);
});
afterEach(() => {
  if (root) expect(cleanupMounts(root)).toEqual([]);
});

test('publish to our server, the referrers API lists the signature and certificate, install and boot from it', async () => {
  const file = join(w.dirs.make('mos-e2e-yaml-'), 'manifest.yaml');
  writeFileSync(file, installYaml(w, 'hostfsonly'));
  await runOk('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', ours.host, '--name', 'machine/install:1.0.0', '--skip-bootkit', file], { env: w.env });

  const head = await fetch(`http://${ours.host}/v2/machine/install/manifests/1.0.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const digest = head.headers.get('docker-content-digest')!;
  const refs = (await (await fetch(`http://${ours.host}/v2/machine/install/referrers/${digest}`)).json()) as { manifests: { artifactType: string }[] };
  expect(refs.manifests.map((m: { artifactType: string }) => m.artifactType).sort()).toEqual(['application/vnd.machine.pubkeycrt', 'application/vnd.machine.signature']);
  const tags = (await (await fetch(`http://${ours.host}/v2/machine/install/tags/list`)).json()) as { tags: string[] };
  expect(tags.tags.filter((t: string) => t.startsWith('sha256-'))).toEqual([]); // no fallback needed

  root = makeRoot(w);
  await runOk('mosctl', ['install', '--rfs', root, `${ours.host}/machine/install:1.0.0`], { env: w.env });
  const dest = join(root, 'sysroot');
  await runOk('mosctl', ['create-boot-fs', '--readonly', '--rfs', root, '--dest', dest]);
  try {
    expect(existsSync(join(dest, 'etc', 'hostname'))).toBe(true);
  } finally {
    await runOk('mosctl', ['umount', dest]);
  }
});
