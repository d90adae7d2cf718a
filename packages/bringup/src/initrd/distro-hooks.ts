import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { atomicWriteFile } from '@mos/manifest';
import { parseCertificates } from '@mos/trust';
import { BringupError } from '../errors';
import { defaultBundlePath, packageRoot } from './build-initramfs';

/** The distro initramfs builders mos ships an integration for. */
export const DISTRO_BUILDERS = ['initramfs-tools', 'dracut'] as const;
export type DistroBuilder = (typeof DISTRO_BUILDERS)[number];

/** Where each builder looks for its hooks and scripts (relative to the root). */
const BUILDER_DIRS: Record<DistroBuilder, string> = {
  'initramfs-tools': 'usr/share/initramfs-tools',
  dracut: 'usr/lib/dracut/modules.d',
};

/** Where the hooks expect bringup and the CA (they read the same paths). */
export const DISTRO_PATHS = { bundle: 'usr/lib/mos/bringup.js', ca: 'etc/mos/manifestCA.pem' } as const;

export interface InstallDistroHooksOptions {
  builder: DistroBuilder;
  /** The manifest CA (PEM) the initramfs will trust. Required. */
  ca: string;
  /** The system to install into; default `/`. Must exist. */
  root?: string;
  /** The bringup bundle; default `dist/bringup.js` of this package. */
  bundle?: string;
}

export interface InstallDistroHooksResult {
  builder: DistroBuilder;
  root: string;
  /** Every file written, relative to `root`, sorted. */
  files: string[];
}

/**
 * Installs mos's integration for a distro initramfs builder into `root`: its hook and boot
 * scripts (from this package's `distro/<builder>/`), the bringup bundle at
 * `/usr/lib/mos/bringup.js` and the manifest CA at `/etc/mos/manifestCA.pem`. The next initramfs
 * the builder makes carries bringup, node, dmsetup and the CA: initramfs-tools
 * (`update-initramfs -u`) boots `boot=mos root=soci:name=mosboot`; dracut (`dracut --add mos`)
 * boots `root=soci:name=mosboot`. Everything is checked before anything is
 * written (the CA must hold certificates, the bundle must exist); each file is replaced
 * atomically, so a rerun upgrades in place.
 *
 * @example
 * import { installDistroHooks } from '@mos/bringup';
 * await installDistroHooks({ builder: 'initramfs-tools', ca: '/root/manifestCA.pem' });
 * // then: update-initramfs -u, and boot with "boot=mos root=soci:name=mosboot"
 */
export async function installDistroHooks(opts: InstallDistroHooksOptions): Promise<InstallDistroHooksResult> {
  const bad = (message: string, details: Record<string, unknown>) => new BringupError('ERR_BRINGUP_BAD_OPTION', message, { details });
  if (!(DISTRO_BUILDERS as readonly string[]).includes(opts.builder)) {
    throw bad(`unknown initramfs builder ${JSON.stringify(opts.builder)}; mos ships hooks for ${DISTRO_BUILDERS.join(', ')}`, { builder: opts.builder });
  }
  const root = opts.root ?? '/';
  if (!existsSync(root) || !statSync(root).isDirectory()) throw bad(`root ${root} is not a directory`, { root });
  const bundle = opts.bundle ?? defaultBundlePath();
  if (!existsSync(bundle)) throw new BringupError('ERR_BRINGUP_FILE_NOT_FOUND', `bringup bundle ${bundle} not found; build @mos/bringup first (npx nx build bringup)`, { details: { bundle } });
  const caPem = readFileSync(opts.ca);
  try {
    if (parseCertificates(caPem, opts.ca).length === 0) throw new Error('no certificate');
  } catch (e) {
    throw new BringupError('ERR_BRINGUP_BAD_OPTION', `${opts.ca} holds no usable PEM certificate: ${(e as Error).message}`, { cause: e, details: { ca: opts.ca } });
  }

  // Read everything first: a missing piece must not leave a half-installed integration.
  const source = join(packageRoot(), 'distro', opts.builder);
  const writes: { rel: string; data: Buffer; mode: number }[] = [];
  for (const file of await walk(source)) {
    const mode = statSync(file).mode & 0o111 ? 0o755 : 0o644;
    writes.push({ rel: join(BUILDER_DIRS[opts.builder], relative(source, file)), data: await readFile(file), mode });
  }
  writes.push({ rel: DISTRO_PATHS.bundle, data: await readFile(bundle), mode: 0o644 });
  writes.push({ rel: DISTRO_PATHS.ca, data: caPem, mode: 0o644 });
  for (const w of writes) {
    const dest = join(root, w.rel);
    await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
    await atomicWriteFile(dest, w.data, { mode: w.mode });
  }
  return { builder: opts.builder, root, files: writes.map((w) => w.rel).sort() };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
