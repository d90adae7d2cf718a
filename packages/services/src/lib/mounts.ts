import { invalid } from '../errors';
import type { Sys } from '../sys';

const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** One line of `/proc/self/mountinfo`: mount point, filesystem type, source, super options. */
export interface MountEntry {
  mountPoint: string;
  fstype: string;
  source: string;
  superOptions: string;
}

/** Parses mountinfo (octal escapes decoded). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const f = left.split(' ');
    const r = (right ?? '').split(' ');
    out.push({ mountPoint: unescape(f[4]), fstype: r[0], source: unescape(r[1] ?? ''), superOptions: r[2] ?? '' });
  }
  return out;
}

/** The topmost mount at exactly `path`, if any. */
export async function mountAt(sys: Sys, path: string): Promise<MountEntry | undefined> {
  return parseMountinfo(await sys.mountinfo()).filter((m) => m.mountPoint === path).pop();
}

/** Unmounts every mount stacked at `path` (never lazily: a busy mount stays and fails loudly). */
export async function umountAll(sys: Sys, path: string): Promise<void> {
  while (await mountAt(sys, path)) await sys.run('umount', [path]);
}

/** Overlay options cannot carry `,` or `:` in paths (and lxc configs no line breaks). */
export function assertMountablePath(p: string): void {
  if (/[,:\n\r\0]/.test(p)) throw invalid(`path ${JSON.stringify(p)} cannot be used in a mount (no , : or line breaks); use a root path without them`, { path: p });
}
