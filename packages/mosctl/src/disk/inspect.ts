import { basename } from 'node:path';
import { MosctlError } from '../errors';
import { diskPartitions, gptOf, sectorSizeOf, type DiskPartition } from './find';
import { majMin, realDiskSys, type DiskSys } from './sys';

/** What is on and around a disk, read without changing anything. */
export interface DiskInfo {
  /** The path as given, and the disk's node (`/dev/<name>`). */
  path: string;
  device: string;
  /** Kernel name (`loop0`, `sda`) and `MAJ:MIN`. */
  name: string;
  majMin: string;
  /** Size in bytes and logical sector size. */
  bytes: number;
  sectorSize: number;
  /** Partitions the kernel knows (named from the GPT). */
  partitions: DiskPartition[];
  /** Partition names in the on-disk GPT (also when the kernel has not loaded them). */
  gptNames: string[];
  /** Signatures `wipefs` finds on the whole disk: `gpt`, `PMBR`, `ext4`, … */
  signatures: string[];
  /** Mountpoints, swaps and holders that use the disk or one of its partitions. */
  users: string[];
}

/**
 * Resolves `path` to a whole-disk block device and reads what is on it. Throws
 * `ERR_MOSCTL_NOT_A_DISK` for a missing path, a non-block file or a partition.
 */
export async function inspectDisk(path: string, sys: DiskSys = realDiskSys): Promise<DiskInfo> {
  const st = sys.stat(path);
  if (!st) throw notADisk(path, 'does not exist');
  if (!st.blockDevice) throw notADisk(path, 'is not a block device (for an image file, attach it first: losetup -P -f --show FILE)');
  const mm = majMin(st.rdev);
  const sysDir = sys.realpath(`/sys/dev/block/${mm}`);
  if (!sysDir) throw notADisk(path, `is a block device (${mm}) unknown to sysfs`);
  const name = basename(sysDir);
  const partNo = sys.readText(`${sysDir}/partition`);
  if (partNo !== undefined) {
    throw notADisk(path, `is partition ${partNo} of /dev/${basename(sysDir.replace(/\/[^/]+$/, ''))}; pass the whole disk`);
  }
  const bytes = Number(sys.readText(`${sysDir}/size`)) * 512;
  if (!(bytes > 0)) throw notADisk(path, 'has no media (size 0)');
  const partitions = diskPartitions(name, sys);
  const wipefs = await sys.run('wipefs', ['--json', `/dev/${name}`], { allowFail: true });
  let signatures: string[] = [];
  try {
    const sigs = (JSON.parse(wipefs.stdout || '{"signatures":[]}') as { signatures?: { type?: string }[] }).signatures ?? [];
    signatures = [...new Set(sigs.map((s) => String(s.type)))];
  } catch {
    if (wipefs.code !== 0) signatures = [`unreadable (wipefs: ${wipefs.stderr.trim().split('\n')[0]})`];
  }
  return {
    path,
    device: `/dev/${name}`,
    name,
    majMin: mm,
    bytes,
    sectorSize: sectorSizeOf(name, sys),
    partitions,
    gptNames: (gptOf(name, sys) ?? []).map((e) => e.name || `#${e.number}`),
    signatures,
    users: await usersOf(name, mm, partitions, sys),
  };
}

/** Why a disk must not be touched, even with --wipe: mounts, swaps, holders (dm, md, …). */
async function usersOf(name: string, mm: string, partitions: DiskPartition[], sys: DiskSys): Promise<string[]> {
  const devs = new Map<string, string>([[mm, `/dev/${name}`]]);
  for (const p of partitions) if (p.majMin) devs.set(p.majMin, p.device);
  const users: string[] = [];
  for (const line of (sys.readText('/proc/self/mountinfo') ?? '').split('\n')) {
    const f = line.split(' ');
    if (f.length > 4 && devs.has(f[2])) users.push(`${devs.get(f[2])} is mounted on ${unescape(f[4])}`);
  }
  const nodes = new Set(devs.values());
  for (const line of (sys.readText('/proc/swaps') ?? '').split('\n').slice(1)) {
    const dev = line.split(/\s+/)[0];
    if (dev && nodes.has(dev)) users.push(`${dev} is in use as swap`);
  }
  for (const node of nodes) {
    for (const h of sys.list(`/sys/class/block/${basename(node)}/holders`)) users.push(`${node} is held by /dev/${h}`);
  }
  return users;
}

/** What is on a disk, in words, or undefined when it looks empty. */
export function describeContents(d: DiskInfo): string | undefined {
  const parts: string[] = [];
  if (d.gptNames.length) parts.push(`a GPT with ${d.gptNames.length} partition(s) (${d.gptNames.join(', ')})`);
  else if (d.partitions.length) parts.push(`${d.partitions.length} partition(s)`);
  const other = d.signatures.filter((s) => !(d.gptNames.length && (s === 'gpt' || s === 'PMBR')));
  if (other.length) parts.push(`signature(s) ${other.join(', ')}`);
  return parts.length ? parts.join(' and ') : undefined;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function notADisk(path: string, why: string): MosctlError {
  return new MosctlError('ERR_MOSCTL_NOT_A_DISK', `${path} ${why}`, { details: { disk: path } });
}
