// A real installed root for the integration tests: a keyset made by @mos/trust, images built
// by @mos/atomfs (squashfs + verity) into R/atomfs-store/mos tagged sha256:<hex>, a signed
// install manifest committed to R/config/manifest.git by @mos/manifest.
import type { TestKeys } from '@mos/test-utils';
import { signDetached } from '@mos/trust';
import { buildImage } from '@mos/atomfs';
import { commitState, HOST_POLICY, initState, loadInstallManifest, readCommittedState, systemForInstall, systemForUpdate, type SignedInstall, type SystemManifest } from '@mos/manifest';
import { LayoutStore } from '@mos/oci-store';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export { makeKeys, type TestKeys } from '@mos/test-utils';

/** A temp host root with the manifest CA where a host keeps it. Short path: the socket lives under it. */
export function makeRoot(keys: TestKeys): string {
  const root = mkdtempSync('/tmp/mos-svc-');
  mkdirSync(join(root, 'config'));
  mkdirSync(join(root, 'factory', 'secure'), { recursive: true });
  copyFileSync(keys.caPath, join(root, 'factory', 'secure', 'manifestCA.pem'));
  return root;
}

/** A busybox root filesystem tree, plus `files` (path → content; mode 0755 when it starts with #!). */
export function makeRootfs(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mos-svc-rootfs-'));
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'www', 'data']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s']);
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(dir, 'www', 'index.html'), 'hello from busybox httpd\n');
  for (const [p, content] of Object.entries(files)) {
    const f = join(dir, p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
  }
  return dir;
}

/** Builds an image from `rootfs` into the root's store and tags it `sha256:<hex>` as mos does. */
export async function addImage(root: string, rootfs: string, cfg: { entrypoint?: string[]; cmd?: string[]; env?: string[] }): Promise<{ digest: string; size: number }> {
  const layout = join(root, 'atomfs-store', 'mos');
  const tag = `build-${Math.random().toString(36).slice(2)}`;
  const built = await buildImage({ layout, tag, sources: [rootfs], ...cfg });
  const store = await LayoutStore.open(layout);
  await store.tag(built.manifest, built.manifest.digest);
  await store.untag(tag);
  return { digest: built.manifest.digest, size: built.manifest.size };
}

/** A target of an install manifest, with defaults. */
export function target(name: string, img: { digest: string; size: number }, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service_name: name,
    version: '1.0.0',
    service_type: 'container',
    network: { type: 'none', ipv4: '', ipv6: '', ports: null },
    nsgroup: '',
    digest: img.digest,
    storage: null,
    size: img.size,
    ...over,
  };
}

function sign(tree: Record<string, unknown>, keys: TestKeys): SignedInstall {
  const json = Buffer.from(JSON.stringify(tree));
  return { sha256: createHash('sha256').update(json).digest('hex'), json, signature: signDetached({ data: json, key: keys.key }), certificate: keys.cert };
}

/** Installs a system of `targets` (and `storage`) on `root`; returns its system manifest. */
export async function install(root: string, keys: TestKeys, targets: Record<string, unknown>[], storage: unknown[] = []): Promise<SystemManifest> {
  const signed = sign({ version: 1, product: keys.product, storage, targets, update_type: 'complete' }, keys);
  const parsed = loadInstallManifest(signed.json);
  const system = systemForInstall({ sha256: signed.sha256, manifest: parsed.manifest }, HOST_POLICY);
  await initState({ configDir: join(root, 'config'), state: { system, installs: [signed] } });
  return system;
}

/** Applies a complete update of the installed system. */
export async function update(root: string, keys: TestKeys, targets: Record<string, unknown>[], opts: { storage?: unknown[]; updateType?: 'complete' | 'partial' } = {}) {
  const committed = await readCommittedState({ configDir: join(root, 'config') });
  const installs = new Map([...committed.installs].map(([sha, i]) => [sha, loadInstallManifest(i.json).manifest]));
  const current = { system: committed.system, installs, signed: [...committed.installs.values()] };
  const signed = sign({ version: 1, product: keys.product, storage: opts.storage ?? [], targets, update_type: opts.updateType ?? 'complete' }, keys);
  const parsed = loadInstallManifest(signed.json);
  const system = systemForUpdate(current.system, current.installs, { sha256: signed.sha256, manifest: parsed.manifest }, HOST_POLICY);
  await commitState({ configDir: join(root, 'config'), state: { system, installs: [...current.signed, signed] }, message: 'update' });
  return system;
}

/** Writes R/etc/mos/services.json (fast restarts unless overridden). */
export function writeSettings(root: string, settings: Record<string, unknown> = {}): void {
  mkdirSync(join(root, 'etc', 'mos'), { recursive: true });
  const restart = { initialDelayMs: 200, maxDelayMs: 1000, maxRetries: 3, stableAfterMs: 5000, ...(settings.restart as object | undefined) };
  writeFileSync(join(root, 'etc', 'mos', 'services.json'), JSON.stringify({ stopTimeoutMs: 2000, ...settings, restart }));
}

const top = resolve(__dirname, '..', '..', '..', '..');

/**
 * How tests start the supervisor: the package's own entry run by tsx (no build needed), which
 * resolves @mos/* to source through the package tsconfig. (`env` sets the variable because
 * Jest's process.env is a copy that spawned children do not inherit.)
 */
export function supervisorCommand(root: string): string[] {
  const tsconfig = join(top, 'packages', 'services', 'tsconfig.json');
  return ['/usr/bin/env', `TSX_TSCONFIG_PATH=${tsconfig}`, process.execPath, '--import', require.resolve('tsx', { paths: [top] }), join(__dirname, 'supervise-main.ts'), root];
}
