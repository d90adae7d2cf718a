import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, runOk, startDockerRegistry, tempDirs, type DockerRegistry } from '@mos/test-utils';

/**
 * What the original's test harness sets up (mos-original §5.1), made here with our own tools:
 * a keyset (`trust keyset add`), the fixture images busybox-squashfs and busyboxu1-squashfs
 * (`atomfs build`, busybox-static inside), and a docker-registry on loopback.
 */
export interface World {
  keysets: string;
  product: string;
  caPath: string;
  zothub: string;
  registry: DockerRegistry;
  dirs: ReturnType<typeof tempDirs>;
  env: NodeJS.ProcessEnv;
}

export async function makeWorld(): Promise<World> {
  const dirs = tempDirs();
  try {
    const base = dirs.make('mos-e2e-world-');
    const keysets = join(base, 'keys');
    const env = { MOS_KEYSETS_DIR: keysets };
    await runOk('trust', ['keyset', 'add', 'e2e'], { env });
    const product = (await runOk('trust', ['keyset', 'show', 'e2e', 'manifest:default', 'uuid', '--value'], { env })).stdout.trim();
    const tree = busyboxTree(join(base, 'busybox'), { 'etc/hostname': 'mos-e2e\n' });
    const u1 = join(base, 'u1');
    mkdirSync(u1);
    writeFileSync(join(u1, 'u1'), 'u1\n');
    const zothub = join(base, 'zothub');
    const cmd = ['--entrypoint', '/bin/sh', '--cmd=-c', '--cmd', 'sleep 1200'];
    await runOk('atomfs', ['build', '--layout', zothub, '--tag', 'busybox-squashfs', ...cmd, tree]);
    await runOk('atomfs', ['build', '--layout', zothub, '--tag', 'busyboxu1-squashfs', ...cmd, tree, u1]);
    const registry = await startDockerRegistry();
    return { keysets, product, caPath: join(keysets, 'e2e', 'manifest-ca', 'cert.pem'), zothub, registry, dirs, env };
  } catch (e) {
    dirs.cleanup();
    throw e;
  }
}

export async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return;
  await w.registry.stop();
  w.dirs.cleanup();
}

type Kind = 'livecd' | 'hostfsonly' | 'fsonly' | 'containeronly';

/** The original's `write_install_yaml` (§2.12), sourcing the fixture images from our layout. */
export function installYaml(w: World, kind: Kind, opts: { image?: string; updateType?: 'complete' | 'partial'; product?: string } = {}): string {
  const src = `oci:${w.zothub}:${opts.image ?? 'busybox-squashfs'}`;
  const t = (name: string, type: string, nsgroup: string, net: string) =>
    `  - service_name: ${name}\n    source: ${src}\n    version: 1.0.0\n    service_type: ${type}\n    nsgroup: "${nsgroup}"\n    network: {type: ${net}}\n`;
  const targets = {
    livecd: t('livecd', 'fs-only', '', 'none'),
    hostfsonly: t('hostfs', 'hostfs', '', 'none'),
    fsonly: t('hostfs', 'hostfs', '', 'host') + t('hostfstarget', 'fs-only', '', 'none'),
    containeronly: t('hostfs', 'hostfs', '', 'host') + t('hostfstarget', 'container', 'c1', 'host'),
  }[kind];
  return `version: 1\nproduct: ${opts.product ?? w.product}\nupdate_type: ${opts.updateType ?? 'complete'}\ntargets:\n${targets}`;
}

let lastSerial = 0;
/** A serial greater than every one handed out before: publishes a second apart would share mosb's default (seconds). */
export const nextSerial = (): number => (lastSerial = Math.max(Date.now(), lastSerial + 1));

/** Publishes an import manifest with mosb (skip-bootkit, as the original's good_install), with a fresh serial unless `extra` gives one. */
export async function publishYaml(w: World, yaml: string, name: string, extra: string[] = []): Promise<string> {
  const file = join(w.dirs.make('mos-e2e-yaml-'), 'manifest.yaml');
  writeFileSync(file, yaml);
  const serial = extra.includes('--serial') ? [] : ['--serial', String(nextSerial())];
  await runOk('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', w.registry.host, '--name', name, '--skip-bootkit', ...serial, ...extra, file], { env: w.env });
  return `${w.registry.host}/${name}`;
}

/** A sandbox root as the original's tests make it: config/, atomfs-store/, scratch-writes/, the CA. */
export function makeRoot(w: World): string {
  const root = w.dirs.make('mos-e2e-root-');
  for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory/secure']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(w.caPath, join(root, 'factory', 'secure', 'manifestCA.pem'));
  return root;
}
