import { join } from 'node:path';
import { RegistryServer } from '@mos/oci-store/server';
import { BringupError } from '../errors';
import { mountTarget } from '../boot-fs/mount-target';
import { importRemoteTarget } from '../remote/import-remote-target';
import { DEFAULT_BOOT_PATHS, type BootPaths, type Handover } from './boot-installed';
import type { BootSys } from './boot-sys';
import type { BootCmdline } from './cmdline';

/** The target a livecd boot mounts (mos-original §4.11 step 5). */
export const LIVECD_TARGET = 'livecd';

/** Where the boot device is mounted, under /run so it follows the new root. */
const BOOTDEV_DIR = '/run/mos/bootdev';

/**
 * Finds the boot device `dev=` names: `LABEL=…` / `UUID=…` (a file system's, through busybox
 * `findfs`), `/dev/x`, or a bare `x`. Waits for it like the partitions of an installed boot.
 */
async function waitForDevice(sys: BootSys, dev: string, opts: { timeoutMs: number; log: (s: string) => void }): Promise<string> {
  if (dev.startsWith('ID=')) {
    throw new BringupError('ERR_BRINGUP_CMDLINE', `dev=${dev}: ID= needs udev's /dev/disk/by-id, which this initrd has not; use LABEL=, UUID= or a device name`, { details: { dev } });
  }
  const byProbe = /^(LABEL|UUID)=/.test(dev);
  const path = byProbe ? undefined : dev.startsWith('/dev/') ? dev : `/dev/${dev}`;
  const start = sys.now();
  let nextNote = start + 3000;
  for (;;) {
    if (path && sys.exists(path)) return path;
    if (byProbe) {
      const found = (await sys.run('findfs', [dev]).catch(() => '')).trim();
      if (found) return found;
    }
    const now = sys.now();
    if (now - start >= opts.timeoutMs) {
      throw new BringupError('ERR_BRINGUP_DEVICE_TIMEOUT', `boot device ${dev} did not appear within ${Math.round(opts.timeoutMs / 1000)} s; is the boot medium attached?`, { details: { dev } });
    }
    if (now >= nextNote) {
      opts.log(`waiting for boot device ${dev}`);
      nextNote = now + 5000;
    }
    await sys.sleep(100);
  }
}

/** Mounts the boot medium read-only: ext4, then vfat (what `dev=` media are made of here). */
async function mountBootDevice(sys: BootSys, device: string): Promise<void> {
  await sys.mkdirp(BOOTDEV_DIR, 0o755);
  let last: unknown;
  for (const fstype of ['ext4', 'vfat']) {
    try {
      await sys.mount({ fstype, source: device, target: BOOTDEV_DIR, options: 'ro,nodev,nosuid,noexec' });
      return;
    } catch (e) {
      last = e;
    }
  }
  throw new BringupError('ERR_BRINGUP_MOUNT_FAILED', `boot device ${device} is neither ext4 nor vfat: ${(last as Error).message}`, { cause: last, details: { device } });
}

/**
 * Any `root=soci:name=IMAGE…` other than `mosboot`: the livecd path (mos-original §4.11 step 5).
 * config, store and scratch are tmpfs; the signed install manifest `IMAGE` is fetched from the
 * boot medium's OCI store (`repo=local`: `dev=` mounted read-only and `path=` served by our
 * registry server on loopback, for this boot only) or from the registry `repo=HOST:PORT`,
 * verified against the initrd's CA before anything is written, its `livecd` target imported
 * (every blob verified) and mounted writable over kernel dm-verity. Nothing is mounted unless
 * all of it verified.
 */
export async function bootLive(opts: { sys: BootSys; cmdline: BootCmdline; log: (s: string) => void; paths?: Partial<BootPaths>; now?: Date }): Promise<Handover> {
  const { sys, log, cmdline } = opts;
  const { root } = cmdline;
  const p = { ...DEFAULT_BOOT_PATHS, ...opts.paths };
  const local = root.repo === 'local' || (root.repo === undefined && root.dev !== undefined);
  if (local && !root.dev) throw new BringupError('ERR_BRINGUP_CMDLINE', 'kernel command line: repo=local needs dev=… (the boot medium holding the OCI store)', { details: { root } });
  if (!local && !root.repo) throw new BringupError('ERR_BRINGUP_CMDLINE', `kernel command line: name=${root.name} needs dev=… (boot medium) or repo=HOST:PORT`, { details: { root } });

  const dirs = { config: join(p.base, 'config'), store: join(p.base, 'atomfs-store'), scratch: join(p.base, 'scratch-writes') };
  for (const d of Object.values(dirs)) {
    await sys.mkdirp(d, 0o755);
    await sys.mount({ fstype: 'tmpfs', source: 'mos-livecd', target: d, options: 'mode=0755,nodev,nosuid' });
  }
  let server: RegistryServer | undefined;
  let url = `${root.repo}/${root.name}`;
  if (local) {
    const device = await waitForDevice(sys, root.dev!, { timeoutMs: cmdline.deviceTimeoutMs, log });
    await mountBootDevice(sys, device);
    const store = join(BOOTDEV_DIR, root.path);
    if (!sys.exists(join(store, 'mos', 'index.json'))) {
      throw new BringupError('ERR_BRINGUP_TARGET_NOT_FOUND', `boot device ${device} has no OCI store at ${root.path}/ (no ${root.path}/mos/index.json)`, { details: { device, path: root.path } });
    }
    log(`mounted boot device ${device}; serving ${root.path}/ on loopback for this boot`);
    await sys.run('ip', ['link', 'set', 'lo', 'up']);
    server = await RegistryServer.start({ root: store, addr: '127.0.0.1:0' });
    url = `${server.address}/${root.name}`;
  }
  let target;
  try {
    target = await importRemoteTarget({ root: p.base, url, name: LIVECD_TARGET, caPath: p.ca, now: opts.now });
  } finally {
    await server?.close();
  }
  log(`verified ${root.name} against ${p.ca}; target ${LIVECD_TARGET} ${target.digest} imported`);
  let hostfs;
  try {
    hostfs = await mountTarget({ root: p.base, target, dest: p.newRoot, backend: 'dm-verity', fresh: true, recordAs: '/' });
  } catch (e) {
    const details = { target: LIVECD_TARGET, digest: target.digest, ...((e as { details?: Record<string, unknown> }).details ?? {}) };
    throw new BringupError('ERR_BRINGUP_IMAGE_VERIFY_FAILED', `target ${LIVECD_TARGET} (${target.digest}) cannot be mounted: ${(e as Error).message}`, { cause: e, details });
  }
  for (const l of hostfs.layerRecords) log(`layer ${l.id.slice(0, 12)}: ${l.device} (${l.status})`);
  log(`${LIVECD_TARGET} of ${root.name} mounted at ${p.newRoot}`);
  return {
    newRoot: p.newRoot,
    init: opts.cmdline.init,
    moves: [
      [dirs.config, join(p.newRoot, 'config')],
      [dirs.store, join(p.newRoot, 'atomfs-store')],
      [dirs.scratch, join(p.newRoot, 'scratch-writes')],
    ],
    hostfs,
  };
}
