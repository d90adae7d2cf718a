import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgressEvent, RemoteAccessOptions } from '@mos/oci-store';
import { systemForInstall, uidRangePolicy, type Target } from '@mos/manifest';
import { findManifestCA, loadTrustAnchors, revocationPathFor } from '@mos/trust';
import { ESP_FILES, fetchInstall, mountTarget, umountTarget, verifyFetched, type FetchedInstall } from '@mos/bringup';
import { MosctlError } from '../errors';
import { writeEspFiles } from '../disk/esp';
import type { DiskPartition } from '../disk/find';
import { describeContents, inspectDisk, type DiskInfo } from '../disk/inspect';
import { formatPartitions, writePartitions } from '../disk/partition';
import { planPartitions, type PartitionName } from '../disk/plan';
import { realDiskSys, type DiskSys } from '../disk/sys';
import { install, type InstallResult } from './install';

export interface InstallPartitionOptions extends RemoteAccessOptions {
  /** The whole disk to lay out (`/dev/sdb`, `/dev/loop0`): a block device, not a partition. */
  disk: string;
  /** The signed install manifest: `HOST:PORT/NAME:TAG` or `docker://…`. */
  url: string;
  /** Erase a disk that has partitions or filesystem signatures. Default false (refuse). */
  wipe?: boolean;
  /** Manifest CA. Default: the running machine's, as `findManifestCA({ root: caRoot })` finds it. */
  manifestCa?: string;
  /** The root whose manifest CA is the default. Default `/`. */
  caRoot?: string;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
  /** Non-fatal conditions (e.g. no bootkit target), one line each. */
  onWarning?: (message: string) => void;
  now?: Date;
  /** The machine seam of the disk code. Default: the real machine. */
  sys?: DiskSys;
}

export interface InstalledPartition {
  name: PartitionName;
  device: string;
  /** Offset and size in bytes. */
  start: number;
  size: number;
  /** GPT type GUID. */
  type: string;
}

export interface InstallPartitionResult extends Omit<InstallResult, 'root'> {
  disk: string;
  partitions: InstalledPartition[];
  /** Files written to the ESP (relative to it); empty without a bootkit target. */
  bootFiles: string[];
  warnings: string[];
}

/**
 * `mosctl install --partition DISK` (mos-original §4.3 `doPartition` and §4.4, with the intent
 * fixes). Order:
 * 1. the disk is inspected without writing: a whole-disk block device, not mounted, used as swap
 *    or held (refused even with `wipe`), big enough for the layout, and empty unless `wipe`;
 * 2. the manifest CA is found and the install manifest fetched and **verified** (chain,
 *    signature, product, complete) — a bad manifest leaves the disk exactly as it was;
 * 3. the disk gets a new GPT (esp, machine-config, machine-store, machine-scratch; see
 *    `planPartitions`) and filesystems;
 * 4. config and store are mounted under a private temp root R (R/config, R/atomfs-store), the CA
 *    is copied to R/factory/secure/ (outside the partitions: the disk never holds the CA, the
 *    initrd brings its own) and `install` runs into R, pinned to the verified artifact's digest;
 * 5. a `bootkit` target's boot files (`ESP_FILES`: kernel, initramfs, later the signed UKI and
 *    shim) are copied to the ESP's EFI/BOOT (with mtools; the ESP is not mounted); without one,
 *    a warning says the disk has no boot files;
 * 6. everything is unmounted and R removed, also on failure. A failure after step 3 leaves the
 *    disk partitioned without `manifest.git`, and the error says so.
 *
 * @example
 * import { installPartition } from '@mos/mosctl';
 * const r = await installPartition({ disk: '/dev/loop0', url: '127.0.0.1:5000/machine/install:1.0', manifestCa: 'ca.pem' });
 * r.partitions.map((p) => p.device); // ['/dev/loop0p1', '/dev/loop0p2', '/dev/loop0p3', '/dev/loop0p4']
 */
export async function installPartition(opts: InstallPartitionOptions): Promise<InstallPartitionResult> {
  if (typeof opts.disk !== 'string' || opts.disk === '' || opts.disk.includes('\0')) {
    throw new MosctlError('ERR_MOSCTL_NOT_A_DISK', 'no disk given', { details: { disk: opts.disk } });
  }
  const sys = opts.sys ?? realDiskSys;
  // What install() and the registry client take: everything but our own fields.
  const { disk: _disk, wipe: _wipe, caRoot: _caRoot, onWarning: _onWarning, sys: _sys, url: _url, manifestCa: _ca, ...access } = opts;
  const disk = await checkDisk(opts.disk, opts.wipe === true, sys);
  const plan = planPartitions(disk.bytes, disk.sectorSize);

  // Verify before anything is written.
  const caPath = findManifestCA({ root: opts.caRoot ?? '/', explicit: opts.manifestCa });
  const fetched = await fetchInstall(opts.url, access);
  const verified = verifyFetched(fetched, loadTrustAnchors({ caPath }), opts.now);
  systemForInstall({ sha256: verified.sha256, manifest: verified.manifest }, uidRangePolicy()); // refuses partial
  // Something may have mounted the disk while we fetched.
  const now = await checkDisk(opts.disk, opts.wipe === true, sys);

  let parts: Record<PartitionName, DiskPartition>;
  try {
    parts = await writePartitions({ disk: now, plan, sys });
    await formatPartitions(parts, sys);
  } catch (e) {
    throw new MosctlError('ERR_MOSCTL_DISK_INSTALL_FAILED', `partitioning ${opts.disk} failed, its content is now undefined (run again with --wipe): ${(e as Error).message}`, {
      cause: e,
      details: { disk: opts.disk, stage: 'partition' },
    });
  }
  const partitions = plan.partitions.map((p) => ({ name: p.name, device: parts[p.name].device, start: p.start, size: p.size, type: p.type }));

  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  let result: InstallResult;
  let bootFiles: string[];
  try {
    ({ result, bootFiles } = await withInstallRoot(parts, caPath, sys, async (root, rootCa) => {
      const result = await install({ ...access, root, url: pinned(fetched), sourceUrl: opts.url, manifestCa: rootCa });
      const bootkit = verified.manifest.targets.find((t) => t.service_name === 'bootkit');
      if (!bootkit) {
        warn(`${opts.disk} has no boot files: the install manifest has no bootkit target, so the ESP is empty`);
        return { result, bootFiles: [] };
      }
      return { result, bootFiles: await installBootkit(root, bootkit, parts.esp.device, sys, warn) };
    }));
  } catch (e) {
    throw new MosctlError(
      'ERR_MOSCTL_DISK_INSTALL_FAILED',
      `${opts.disk} is partitioned and formatted but holds no installed system (no manifest.git): ${(e as Error).message}`,
      { cause: e, details: { disk: opts.disk, stage: 'install' } },
    );
  }
  const { root: _root, ...rest } = result;
  return { ...rest, disk: now.device, partitions, bootFiles, warnings };
}

/** Inspects the disk and applies the refusals that need no network. */
async function checkDisk(path: string, wipe: boolean, sys: DiskSys): Promise<DiskInfo> {
  const disk = await inspectDisk(path, sys);
  if (disk.users.length) {
    throw new MosctlError('ERR_MOSCTL_DISK_IN_USE', `${path} is in use (${disk.users.join('; ')}); unmount it first (--wipe does not override this)`, {
      details: { disk: path, users: disk.users },
    });
  }
  const contents = describeContents(disk);
  if (contents && !wipe) {
    throw new MosctlError('ERR_MOSCTL_DISK_NOT_EMPTY', `${path} is not empty: it has ${contents}; pass --wipe to erase it`, {
      details: { disk: path, contents, partitions: disk.gptNames, signatures: disk.signatures },
    });
  }
  return disk;
}

/** The verified artifact by digest, so the install reads exactly what was verified (the tag may move). */
function pinned(f: FetchedInstall): string {
  const r = f.reference;
  return `${r.scheme ? `${r.scheme}://` : 'docker://'}${r.registry}/${r.repository}@${f.artifact.digest}`;
}

/**
 * A private temp root with the config and store partitions mounted at R/config and
 * R/atomfs-store and the CA (and its revocation file) at R/factory/secure/. Unmounts and
 * removes it afterwards, whatever happens; never removes it while something is still mounted.
 */
async function withInstallRoot<T>(parts: Record<PartitionName, DiskPartition>, caPath: string, sys: DiskSys, fn: (root: string, ca: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'mos-install-'));
  let failure: unknown;
  try {
    for (const [name, dir] of [['machine-config', 'config'], ['machine-store', 'atomfs-store']] as const) {
      const at = join(root, dir);
      mkdirSync(at);
      await sys.run('mount', ['-t', 'ext4', parts[name].device, at]);
    }
    const secure = join(root, 'factory', 'secure');
    mkdirSync(secure, { recursive: true, mode: 0o700 });
    const ca = join(secure, 'manifestCA.pem');
    copyFileSync(caPath, ca);
    if (existsSync(revocationPathFor(caPath))) copyFileSync(revocationPathFor(caPath), revocationPathFor(ca));
    return await fn(root, ca);
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    // Whatever is mounted under R (the partitions, a bootkit mount left by a failure), deepest first.
    // An overlay keeps its layer mounts busy, so a pass that made progress is followed by another.
    let left: string[] = [];
    for (let pass = 0, progress = true; progress && pass < 5; pass++) {
      const before = mountsUnder(root, sys);
      left = [];
      for (const at of before) {
        const r = await sys.run('umount', [at], { allowFail: true });
        if (r.code !== 0) left.push(`${at} (${r.stderr.trim().split('\n')[0]})`);
      }
      progress = left.length > 0 && left.length < before.length;
    }
    // Never remove a tree that still has a filesystem mounted in it.
    if (left.length === 0 && mountsUnder(root, sys).length === 0) rmSync(root, { recursive: true, force: true });
    if (left.length && failure === undefined) throw new MosctlError('ERR_MOSCTL_DISK_FAILED', `installed, but could not unmount ${left.join(', ')}`, { details: { mounts: left } });
  }
}

/** Mountpoints at or under `dir` (from mountinfo, escapes decoded), deepest first. */
function mountsUnder(dir: string, sys: DiskSys): string[] {
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return (sys.readText('/proc/self/mountinfo') ?? '')
    .split('\n')
    .map((l) => decode(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Mounts the bootkit target read-only and copies its `bootkit/*` files to the ESP. */
async function installBootkit(root: string, target: Target, esp: string, sys: DiskSys, warn: (m: string) => void): Promise<string[]> {
  const dest = join(root, 'bootkit');
  mkdirSync(dest);
  mkdirSync(join(root, 'scratch-writes'), { recursive: true });
  await mountTarget({ root, target, dest, readonly: true });
  try {
    const dir = join(dest, 'bootkit');
    if (!existsSync(dir)) {
      warn('the bootkit target has no bootkit/ directory: the ESP is empty');
      return [];
    }
    // Only what the firmware and boot loader read: modules.squashfs stays in the image.
    const files = readdirSync(dir)
      .sort()
      .filter((n) => ESP_FILES.includes(n) && statSync(join(dir, n)).isFile())
      .map((name) => ({ name, path: join(dir, name) }));
    if (!files.length) warn(`the bootkit target has none of ${ESP_FILES.join(', ')} in bootkit/: the ESP is empty`);
    return await writeEspFiles(esp, files, sys);
  } finally {
    await umountTarget(dest);
  }
}
