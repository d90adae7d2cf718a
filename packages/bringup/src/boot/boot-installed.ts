import { join } from 'node:path';
import type { MountedMolecule } from '@mos/atomfs';
import type { VerifiedState } from '@mos/manifest';
import { createBootFs } from '../boot-fs/create-boot-fs';
import { bootCounter, bootedPath, type StateSelector } from './boot-counter';
import type { BootSys } from './boot-sys';
import type { BootCmdline } from './cmdline';
import { PARTITIONS, findPartitions, waitForPartitions } from './partitions';

/** Where the initramfs puts things (its own root is `/`). */
export interface BootPaths {
  /** The initramfs root the partitions are mounted under. Default `/`. */
  base: string;
  /** Where hostfs is mounted, and switched to. Default `/sysroot`. */
  newRoot: string;
  /** The manifest CA that ships in the initrd: the only one a boot trusts. Default `/manifestCA.pem`. */
  ca: string;
}

export const DEFAULT_BOOT_PATHS: BootPaths = { base: '/', newRoot: '/sysroot', ca: '/manifestCA.pem' };

/** What a successful bringup hands to `/init`. */
export interface Handover {
  newRoot: string;
  init: string;
  /** The mounts that must follow the new root (initramfs path → path under the new root). */
  moves: [from: string, to: string][];
  /** The verified installed state (an installed boot; a livecd has none). */
  state?: VerifiedState;
  hostfs: MountedMolecule;
}

const EXT4_RO = 'ro,nodev,nosuid,noexec';
const EXT4_RW = 'remount,rw,nodev,nosuid,noexec';

/**
 * `root=soci:name=mosboot`: boots the system installed on this machine's disk.
 * 1. waits (bounded) for the GPT partitions machine-config, machine-store and machine-scratch;
 * 2. mounts config and store read-only, scratch read-write (and the ESP when there is one);
 * 3. re-verifies the committed state against the initrd's manifest CA -- every install
 *    manifest's signature, chain and product, every target's image pinned by digest and size --
 *    and mounts hostfs: every layer through kernel dm-verity (required: no fallback to a
 *    userspace check), its root hash from the signed chain (install manifest → image manifest
 *    digest → layer annotation), an overlay whose upper dir on scratch starts empty each boot;
 *    Which state: the head, unless the boot counter (`rd.mos.boot-tries`, {@link bootCounter})
 *    falls back to the state before a hostfs/bootkit change that was booted too often without
 *    being confirmed; the choice is recorded in `/run/mos/booted.json` for the booted system;
 * 4. remounts config and store read-write for the booted system's mosctl (update, confirm,
 *    rollback write there; what booted was verified from the read-only mounts before);
 * 5. returns the handover: which mounts move under the new root, and its init.
 * Nothing is switched to unless all of it verified (the caller exits non-zero on any throw).
 */
export async function bootInstalled(opts: {
  sys: BootSys;
  cmdline: BootCmdline;
  log: (s: string) => void;
  paths?: Partial<BootPaths>;
  selector?: StateSelector;
  now?: Date;
}): Promise<Handover> {
  const { sys, log } = opts;
  const p = { ...DEFAULT_BOOT_PATHS, ...opts.paths };
  const wanted = [PARTITIONS.config, PARTITIONS.store, PARTITIONS.scratch];
  const parts = await waitForPartitions(sys, wanted, { timeoutMs: opts.cmdline.deviceTimeoutMs, log });
  const esp = findPartitions(await sys.blockDevices(), [PARTITIONS.esp]).get(PARTITIONS.esp);
  const dirs = { config: join(p.base, 'config'), store: join(p.base, 'atomfs-store'), scratch: join(p.base, 'scratch-writes'), esp: join(p.base, 'boot', 'efi') };
  const mounts: [string, string, string, string][] = [
    [parts.get(PARTITIONS.config)!.path, dirs.config, 'ext4', EXT4_RO],
    [parts.get(PARTITIONS.store)!.path, dirs.store, 'ext4', EXT4_RO],
    [parts.get(PARTITIONS.scratch)!.path, dirs.scratch, 'ext4', 'rw,nodev,nosuid'],
  ];
  if (esp) mounts.push([esp.path, dirs.esp, 'vfat', 'rw,nodev,nosuid,noexec,umask=0077']);
  for (const [source, target, fstype, options] of mounts) {
    await sys.mkdirp(target, 0o755);
    await sys.mount({ fstype, source, target, options });
    log(`mounted ${source} at ${target} (${options.startsWith('ro') ? 'read-only' : 'read-write'})`);
  }
  const selector = opts.selector ?? bootCounter({ sys, maxTries: opts.cmdline.bootTries });
  const choice = await selector.select({ base: p.base, log });
  const commit = choice.commit;
  if (commit) log(`booting state ${commit.slice(0, 12)} (chosen by the boot counter), not the head`);
  const { state, mounted } = await createBootFs({ root: p.base, dest: p.newRoot, ca: p.ca, backend: 'dm-verity', fresh: true, recordAs: '/', now: opts.now, commit, log });
  const hostfs = state.targets.find((t) => t.name === 'hostfs')!;
  log(`verified state ${state.commit.slice(0, 12)} of product ${state.product} against ${p.ca}`);
  for (const l of mounted.layerRecords) log(`layer ${l.id.slice(0, 12)}: ${l.device} (${l.status})`);
  log(`hostfs ${hostfs.target.digest} (version ${hostfs.target.version}) mounted at ${p.newRoot}`);
  for (const [source, target] of [[parts.get(PARTITIONS.config)!.path, dirs.config], [parts.get(PARTITIONS.store)!.path, dirs.store]]) {
    await sys.mount({ fstype: 'ext4', source, target, options: EXT4_RW });
  }
  await sys.mkdirp(join(p.base, 'run', 'mos'), 0o755);
  await sys.writeFile(bootedPath(p.base), JSON.stringify({ commit: state.commit, at: (opts.now ?? new Date()).toISOString(), ...(choice.trial && { trial: choice.trial }) }) + '\n');
  const moves: [string, string][] = [
    [dirs.config, join(p.newRoot, 'config')],
    [dirs.store, join(p.newRoot, 'atomfs-store')],
    [dirs.scratch, join(p.newRoot, 'scratch-writes')],
  ];
  if (esp) moves.push([dirs.esp, join(p.newRoot, 'boot', 'efi')]);
  return { newRoot: p.newRoot, init: opts.cmdline.init, moves, state, hostfs: mounted };
}
