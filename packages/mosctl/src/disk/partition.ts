import { MosctlError } from '../errors';
import { diskPartitions, type DiskPartition } from './find';
import type { DiskInfo } from './inspect';
import { sfdiskScript, type PartitionName, type PartitionPlan } from './plan';
import { realDiskSys, type DiskSys } from './sys';

/** The FAT label of the ESP. FAT labels are upper case by convention (mkfs.fat warns on lower case; blkid shows `LABEL="ESP"`). */
export const ESP_LABEL = 'ESP';

export interface WritePartitionsOptions {
  disk: DiskInfo;
  plan: PartitionPlan;
  sys?: DiskSys;
  /** How long to wait for the kernel's partition devices. Default 10 000 ms. */
  timeoutMs?: number;
}

/**
 * Writes the plan to the disk: wipes old signatures (each old partition's, then the disk's),
 * writes a new GPT with `sfdisk` (script on stdin), tells the kernel with `partx -u` (udev and
 * the kernel's own GPT parser are not relied on) and waits, bounded, until every planned
 * partition has its device node. Returns the partitions by name, in plan order. The caller has
 * checked that the disk is not in use and may be overwritten.
 */
export async function writePartitions(opts: WritePartitionsOptions): Promise<Record<PartitionName, DiskPartition>> {
  const { disk, plan } = opts;
  const sys = opts.sys ?? realDiskSys;
  for (const p of disk.partitions) await sys.run('wipefs', ['--all', '--quiet', p.device], { allowFail: true });
  await sys.run('wipefs', ['--all', '--quiet', disk.device]);
  await sys.run('sfdisk', ['--quiet', '--wipe', 'always', '--wipe-partitions', 'always', '--no-reread', '--no-tell-kernel', disk.device], {
    input: sfdiskScript(plan),
  });
  // partx -u adds, resizes and removes partitions to match the table (BLKPG), whatever parser
  // the kernel has. On a disk the kernel had never scanned, -u may find nothing to update: -a then.
  await sys.run('partx', ['-u', disk.device], { allowFail: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let added = false;
  for (;;) {
    const found = ready(disk, plan, sys);
    if (found) return found;
    if (!added) {
      await sys.run('partx', ['-a', disk.device], { allowFail: true });
      added = true;
    }
    if (Date.now() > deadline) {
      const seen = diskPartitions(disk.name, sys).map((p) => `${p.device}=${p.name ?? '?'}`);
      throw new MosctlError('ERR_MOSCTL_DISK_FAILED', `${disk.device}: the partition devices did not appear after writing the GPT (seen: ${seen.join(', ') || 'none'})`, {
        details: { disk: disk.device, seen },
      });
    }
    await sys.sleep(100);
  }
}

/** Every planned partition, with the planned offset and size and an existing device node; else undefined. */
function ready(disk: DiskInfo, plan: PartitionPlan, sys: DiskSys): Record<PartitionName, DiskPartition> | undefined {
  const parts = diskPartitions(disk.name, sys);
  const out = {} as Record<PartitionName, DiskPartition>;
  for (const want of plan.partitions) {
    const p = parts.find((x) => x.name === want.name && x.start === want.start && x.size === want.size);
    if (!p || !sys.stat(p.device)?.blockDevice) return undefined;
    out[want.name] = p;
  }
  return out;
}

/**
 * Creates the filesystems: the ESP FAT32 labelled {@link ESP_LABEL}; machine-config,
 * machine-store and machine-scratch ext4 labelled with their partition names.
 */
export async function formatPartitions(parts: Record<PartitionName, DiskPartition>, sys: DiskSys = realDiskSys): Promise<void> {
  await sys.run('mkfs.vfat', ['-F', '32', '-n', ESP_LABEL, parts.esp.device]);
  for (const name of ['machine-config', 'machine-store', 'machine-scratch'] as const) {
    await sys.run('mkfs.ext4', ['-q', '-F', '-L', name, parts[name].device]);
  }
}
