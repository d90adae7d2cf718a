import { readFileSync } from 'node:fs';
import type { Sys } from '../sys';

/** `name:start:count` lines of /etc/subuid or /etc/subgid for `user`. */
export function subidRanges(text: string, user = 'root'): { start: number; count: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3 && f[0] === user && /^\d+$/.test(f[1]) && /^\d+$/.test(f[2]))
    .map((f) => ({ start: Number(f[1]), count: Number(f[2]) }));
}

/** Whether `[start, start+count)` lies inside one of `ranges`. */
export const covered = (ranges: { start: number; count: number }[], start: number, count: number) =>
  ranges.some((r) => r.start <= start && start + count <= r.start + r.count);

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Reserves an nsgroup's host range for root in /etc/subuid and /etc/subgid (`usermod -v/-w`,
 * as the original did). lxc insists on it whenever shadow's newuidmap is installed, so that
 * shadow never hands the range to another user; without newuidmap it is harmless.
 */
export async function reserveSubids(sys: Sys, hostid: number, size: number, files = { uid: '/etc/subuid', gid: '/etc/subgid' }): Promise<boolean> {
  const range = `${hostid}-${hostid + size - 1}`;
  const args: string[] = [];
  if (!covered(subidRanges(read(files.uid)), hostid, size)) args.push('-v', range);
  if (!covered(subidRanges(read(files.gid)), hostid, size)) args.push('-w', range);
  if (args.length === 0) return false;
  await sys.run('usermod', [...args, 'root']);
  return true;
}
