import { readGpt } from './gpt';
import { realDiskSys, type DiskSys } from './sys';

/** A partition the kernel knows, named by its GPT entry. */
export interface DiskPartition {
  /** The whole disk (`/dev/loop0`, `/dev/sda`, `/dev/nvme0n1`). */
  disk: string;
  /** The partition's device node (`/dev/loop0p1`, `/dev/sda1`). */
  device: string;
  /** Partition number (the GPT entry index). */
  number: number;
  /** GPT partition name (PARTLABEL); undefined when neither the kernel nor the table has one. */
  name?: string;
  /** GPT type GUID, when the table was read. */
  type?: string;
  /** Offset and size in bytes. */
  start: number;
  size: number;
  /** Device number `MAJ:MIN`, as mountinfo shows it. */
  majMin?: string;
}

const SYS_BLOCK = '/sys/class/block';

/**
 * The partitions of one disk (`disk` is its kernel name: `loop0`, `sda`, `nvme0n1`), from
 * sysfs: each `/sys/class/block/<disk>/<part>/` with a `partition` file. The name comes from
 * the partition's `uevent` `PARTNAME=` (set when the kernel parsed the GPT itself); where that
 * is missing (partitions added with `partx`, or a kernel built without EFI partition support)
 * the disk's GPT is read and entries are matched by start offset. Numbers are never assumed.
 *
 * @example
 * import { diskPartitions } from '@mos/mosctl';
 * diskPartitions('loop0'); // [{ disk: '/dev/loop0', device: '/dev/loop0p1', number: 1, name: 'esp', … }, …]
 */
export function diskPartitions(disk: string, sys: DiskSys = realDiskSys): DiskPartition[] {
  const dir = `${SYS_BLOCK}/${disk}`;
  const parts: DiskPartition[] = [];
  for (const child of sys.list(dir)) {
    const number = Number(sys.readText(`${dir}/${child}/partition`));
    if (!Number.isInteger(number) || number <= 0) continue;
    const uevent = sys.readText(`${dir}/${child}/uevent`) ?? '';
    const name = /^PARTNAME=(.*)$/m.exec(uevent)?.[1];
    const majMin = sys.readText(`${dir}/${child}/dev`);
    parts.push({
      disk: `/dev/${disk}`,
      device: `/dev/${/^DEVNAME=(.*)$/m.exec(uevent)?.[1] ?? child}`,
      number,
      ...(name !== undefined ? { name } : {}),
      start: Number(sys.readText(`${dir}/${child}/start`)) * 512,
      size: Number(sys.readText(`${dir}/${child}/size`)) * 512,
      ...(majMin ? { majMin } : {}),
    });
  }
  parts.sort((a, b) => a.start - b.start);
  if (parts.length === 0) return parts;
  const entries = gptOf(disk, sys);
  for (const p of parts) {
    const e = entries?.find((x) => x.firstLba * sectorSizeOf(disk, sys) === p.start);
    if (!e) continue;
    p.name ??= e.name;
    p.type = e.type;
  }
  return parts;
}

/**
 * Every partition of every disk, by GPT name: what the initrd needs to find `machine-config`,
 * `machine-store` and `machine-scratch` without udev. A name on more than one disk lists
 * every match (the caller decides whether that is an error).
 *
 * @example
 * import { partitionsByName } from '@mos/mosctl';
 * partitionsByName().get('machine-config')?.[0].device; // '/dev/vda2'
 */
export function partitionsByName(sys: DiskSys = realDiskSys): Map<string, DiskPartition[]> {
  const out = new Map<string, DiskPartition[]>();
  for (const dev of sys.list(SYS_BLOCK).sort()) {
    if (sys.readText(`${SYS_BLOCK}/${dev}/partition`) !== undefined) continue; // a partition, not a disk
    if (!sys.list(`${SYS_BLOCK}/${dev}`).some((c) => c.startsWith(dev))) continue; // no partitions
    for (const p of diskPartitions(dev, sys)) {
      if (p.name === undefined) continue;
      out.set(p.name, [...(out.get(p.name) ?? []), p]);
    }
  }
  return out;
}

/** The logical sector size of a disk (sysfs), 512 when unknown. */
export function sectorSizeOf(disk: string, sys: DiskSys = realDiskSys): number {
  return Number(sys.readText(`${SYS_BLOCK}/${disk}/queue/logical_block_size`)) || 512;
}

/** The primary GPT of `/dev/<disk>`, or undefined (no GPT, or the device cannot be read). */
export function gptOf(disk: string, sys: DiskSys = realDiskSys) {
  try {
    return readGpt((offset, length) => sys.readBytes(`/dev/${disk}`, offset, length), sectorSizeOf(disk, sys));
  } catch {
    return undefined;
  }
}
