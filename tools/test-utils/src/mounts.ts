import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Mountpoints at or under `dir` (from /proc/self/mounts, octal escapes decoded), deepest first. */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[1] ?? ''))
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/**
 * The safety net every test that mounts runs in `afterEach`: unmounts whatever is still
 * mounted under `dir` (deepest first) and detaches loop devices whose backing file is under
 * it, so a failed test cannot break the next run. Returns what it had to clean up.
 */
export function cleanupMounts(dir: string): string[] {
  const cleaned: string[] = [];
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
    cleaned.push(m);
  }
  const loops = execFileSync('losetup', ['-a', '-O', 'NAME,BACK-FILE', '-n'], { encoding: 'utf8' });
  for (const line of loops.split('\n')) {
    const [dev, file] = line.trim().split(/\s+/, 2);
    if (dev && file && (file === dir || file.startsWith(dir + '/'))) {
      execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      cleaned.push(dev);
    }
  }
  return cleaned;
}
