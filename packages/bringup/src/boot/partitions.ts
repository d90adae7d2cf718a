import { BringupError } from '../errors';
import type { BlockDevice, BootSys } from './boot-sys';

/** The GPT partitions of an installed mos disk, by name (mos-original §2.8). */
export const PARTITIONS = { config: 'machine-config', store: 'machine-store', scratch: 'machine-scratch', esp: 'esp' } as const;

/**
 * The partitions named `names` (GPT partition names, as `install --partition` writes them),
 * from the kernel's block device list. A name found twice is an error: two disks that both look
 * like a mos install must not be guessed between.
 */
export function findPartitions(devices: BlockDevice[], names: readonly string[]): Map<string, BlockDevice> {
  const found = new Map<string, BlockDevice>();
  for (const name of names) {
    const hits = devices.filter((d) => d.partname === name);
    if (hits.length > 1) {
      throw new BringupError('ERR_BRINGUP_MOUNT_FAILED', `two partitions are named ${name} (${hits.map((h) => h.path).join(', ')}); remove the disk that is not this machine's`, {
        details: { partition: name, devices: hits.map((h) => h.path) },
      });
    }
    if (hits.length === 1) found.set(name, hits[0]);
  }
  return found;
}

/**
 * Waits until every partition in `names` is there (disks appear asynchronously after their
 * driver loads), saying on the console what it waits for every few seconds, and fails after
 * `timeoutMs` naming what never came.
 */
export async function waitForPartitions(
  sys: BootSys,
  names: readonly string[],
  opts: { timeoutMs: number; log: (s: string) => void; pollMs?: number },
): Promise<Map<string, BlockDevice>> {
  const start = sys.now();
  let nextNote = start + 3000;
  for (;;) {
    const found = findPartitions(await sys.blockDevices(), names);
    const missing = names.filter((n) => !found.has(n));
    if (missing.length === 0) return found;
    const now = sys.now();
    if (now - start >= opts.timeoutMs) {
      throw new BringupError('ERR_BRINGUP_DEVICE_TIMEOUT', `no partition named ${missing.join(', ')} appeared within ${Math.round(opts.timeoutMs / 1000)} s; is the install disk attached (and its driver in the initrd)?`, {
        details: { missing, waitedMs: Math.round(now - start) },
      });
    }
    if (now >= nextNote) {
      opts.log(`waiting for partition(s) ${missing.join(', ')} (${Math.ceil((opts.timeoutMs - (now - start)) / 1000)} s left)`);
      nextNote = now + 5000;
    }
    await sys.sleep(opts.pollMs ?? 100);
  }
}
