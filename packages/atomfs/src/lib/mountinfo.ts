/** One line of /proc/self/mountinfo, with the octal escapes (\040 for space, …) decoded. */
export interface MountEntry {
  mountPoint: string;
  fstype: string;
  source: string;
  /** Per-mount options (ro, nosuid, …). */
  mountOptions: string;
  /** Filesystem options: for overlay, lowerdir=…,upperdir=…. */
  superOptions: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text (proc(5)): fields before " - " are per mount, after it per filesystem. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 4) continue;
    out.push({
      mountPoint: unescape(f[4]),
      mountOptions: f[5],
      fstype: f[dash + 1],
      source: unescape(f[dash + 2]),
      superOptions: f[dash + 3],
    });
  }
  return out;
}

/** The topmost mount at `path` (the last one listed wins, as with stacked mounts), if any. */
export function mountAt(entries: MountEntry[], path: string): MountEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].mountPoint === path) return entries[i];
  return undefined;
}

/** The `lowerdir=` list of an overlay's super options, top first. */
export function overlayLowerdirs(e: MountEntry): string[] {
  const opt = e.superOptions.split(',').find((o) => o.startsWith('lowerdir='));
  return opt ? opt.slice('lowerdir='.length).split(':') : [];
}
