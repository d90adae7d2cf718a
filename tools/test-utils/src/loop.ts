import { execFileSync } from 'node:child_process';

/**
 * Runs `fn` with the disk image `image` attached to a loop device, detaching it after, also
 * when `fn` throws. The partitions are added with `partx -u` (from the table as userspace reads
 * it): this host's kernel has no GPT support (CONFIG_EFI_PARTITION is off), so `losetup -P`
 * alone finds none. Partitions partx adds outlive a detach (there is no partscan flag), so a
 * loop device can come with an earlier user's stale ones (an install then refuses a "not
 * empty" disk): they are dropped first, and ours after.
 */
export async function withLoop<T>(image: string, fn: (dev: string) => T | Promise<T>): Promise<T> {
  const dev = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  const partx = (flag: '-d' | '-u') => {
    try {
      execFileSync('partx', [flag, dev], { stdio: 'ignore' });
    } catch {
      // -d: none to drop; -u: a blank disk without a table yet
    }
  };
  try {
    partx('-d');
    partx('-u');
    return await fn(dev);
  } finally {
    partx('-d');
    execFileSync('losetup', ['-d', dev]);
  }
}
