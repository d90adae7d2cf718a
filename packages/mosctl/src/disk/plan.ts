import { MosctlError } from '../errors';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** GPT type GUIDs of the mos partitions (mos-original §2.8). */
export const PartitionType = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  'machine-config': 'F79962B9-24E6-9948-9F94-E6BFDAD2771A',
  'machine-store': 'F79962B9-24E6-9948-9F94-E6BFDAD2771B',
  'machine-scratch': 'F79962B9-24E6-9948-9F94-E6BFDAD2771C',
} as const;

/** The partitions `mosctl install --partition` creates, in disk order. */
export const PARTITION_NAMES = ['esp', 'machine-config', 'machine-store', 'machine-scratch'] as const;
export type PartitionName = (typeof PARTITION_NAMES)[number];

/** Partitions start and end on 1 MiB boundaries; the first one at 4 MiB (as the original). */
export const ALIGN = MiB;
export const FIRST_START = 4 * MiB;

/** The original's sizes: what a disk of about 110 GiB or more gets. Larger disks keep the rest free. */
export const FULL_SIZES: Readonly<Record<PartitionName, number>> = {
  esp: 1 * GiB,
  'machine-config': 1 * GiB,
  'machine-store': 60 * GiB,
  'machine-scratch': 45 * GiB,
};

/** The smallest each partition may be (the ESP's depends on the sector size: FAT32 needs 65525 clusters). */
export function minSizes(sectorSize: number): Readonly<Record<PartitionName, number>> {
  return {
    esp: Math.max(64 * MiB, alignUp(Math.ceil(65536 * sectorSize * 1.05))),
    'machine-config': 16 * MiB,
    'machine-store': 96 * MiB,
    'machine-scratch': 64 * MiB,
  };
}

/**
 * The smallest disk `planPartitions` accepts: 256 MiB with 512-byte sectors, more with larger
 * sectors by what the larger ESP needs (e.g. 461 MiB with 4096-byte sectors).
 */
export function minDiskBytes(sectorSize: number): number {
  return 256 * MiB + (minSizes(sectorSize).esp - 64 * MiB);
}

export interface PlannedPartition {
  name: PartitionName;
  /** GPT type GUID (upper case). */
  type: string;
  /** Offset and size in bytes (multiples of {@link ALIGN}). */
  start: number;
  size: number;
  /** The same in logical sectors, as sfdisk takes them. */
  startSector: number;
  sectors: number;
}

export interface PartitionPlan {
  diskBytes: number;
  sectorSize: number;
  partitions: PlannedPartition[];
  /** Bytes left unpartitioned after the last partition (room for storage volumes on big disks). */
  free: number;
}

/**
 * The GPT layout for a disk of `diskBytes` with `sectorSize`-byte logical sectors. Pure.
 *
 * Rule (the original's sizes are the ceiling; smaller disks scale down):
 * - partitions in the order esp, machine-config, machine-store, machine-scratch; the first at
 *   4 MiB, each start and size a multiple of 1 MiB, the last ending before the backup GPT;
 * - esp and machine-config: 1% of the disk each, at least their minimum (esp 64 MiB with
 *   512-byte sectors, config 16 MiB), at most 1 GiB;
 * - of what is left (`rest`): machine-store 4/7 (the original's 60:45 ratio), at most 60 GiB;
 *   machine-scratch the remainder, at most 45 GiB;
 * - a disk below {@link minDiskBytes} (256 MiB with 512-byte sectors) is refused with
 *   `ERR_MOSCTL_DISK_TOO_SMALL`. At 256 MiB: esp 64, config 16, store 97, scratch 74 MiB.
 *   From about 110 GiB on, every partition has the original's size.
 *
 * @example
 * import { planPartitions } from '@mos/mosctl';
 * planPartitions(512 * 1024 ** 2, 512).partitions.map((p) => [p.name, p.size / 2 ** 20]);
 * // [['esp', 64], ['machine-config', 16], ['machine-store', 244], ['machine-scratch', 183]]
 */
export function planPartitions(diskBytes: number, sectorSize: number): PartitionPlan {
  if (!Number.isSafeInteger(diskBytes) || diskBytes < 0) throw new MosctlError('ERR_MOSCTL_INVALID', `disk size ${diskBytes} is not a byte count`);
  if (![512, 1024, 2048, 4096].includes(sectorSize)) {
    throw new MosctlError('ERR_MOSCTL_NOT_A_DISK', `logical sector size ${sectorSize} is not supported (512, 1024, 2048 or 4096)`, { details: { sectorSize } });
  }
  const minimum = minDiskBytes(sectorSize);
  if (diskBytes < minimum) {
    throw new MosctlError('ERR_MOSCTL_DISK_TOO_SMALL', `the disk has ${mib(diskBytes)}; the mos layout needs at least ${mib(minimum)}`, {
      details: { size: diskBytes, minimum },
    });
  }
  const mins = minSizes(sectorSize);
  // The backup GPT: 128 entries of 128 bytes plus its header sector, at the very end.
  const usableEnd = alignDown(diskBytes - (128 * 128 + sectorSize));
  const scaled = (name: PartitionName) => clamp(alignDown(diskBytes / 100), mins[name], FULL_SIZES[name]);
  const esp = scaled('esp');
  const config = scaled('machine-config');
  const rest = usableEnd - FIRST_START - esp - config;
  const store = Math.min(FULL_SIZES['machine-store'], alignDown((rest * 4) / 7));
  const scratch = Math.min(FULL_SIZES['machine-scratch'], rest - store);
  const sizes: Record<PartitionName, number> = { esp, 'machine-config': config, 'machine-store': store, 'machine-scratch': scratch };
  let at = FIRST_START;
  const partitions = PARTITION_NAMES.map((name) => {
    const p = { name, type: PartitionType[name], start: at, size: sizes[name], startSector: at / sectorSize, sectors: sizes[name] / sectorSize };
    at += sizes[name];
    return p;
  });
  for (const p of partitions) {
    // Unreachable for sizes >= the minimum (the unit tests sweep them); a guard, not a rule.
    if (p.size < mins[p.name]) throw new MosctlError('ERR_MOSCTL_DISK_TOO_SMALL', `${p.name} would be ${mib(p.size)}, below its minimum ${mib(mins[p.name])}`, { details: { size: diskBytes, minimum } });
  }
  return { diskBytes, sectorSize, partitions, free: usableEnd - at };
}

/** The sfdisk script for a plan (`label: gpt`, sectors, names and type GUIDs). */
export function sfdiskScript(plan: PartitionPlan): string {
  const lines = ['label: gpt', 'unit: sectors', `sector-size: ${plan.sectorSize}`];
  for (const p of plan.partitions) lines.push(`start=${p.startSector}, size=${p.sectors}, type=${p.type}, name="${p.name}"`);
  return lines.join('\n') + '\n';
}

const alignDown = (n: number) => Math.floor(n / ALIGN) * ALIGN;
const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
export const mib = (n: number) => (n % GiB === 0 && n >= GiB ? `${n / GiB} GiB` : `${Math.round((n / MiB) * 10) / 10} MiB`);
