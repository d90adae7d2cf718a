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
  // Loop devices of `mount -o loop` auto-clear after the last unmount, asynchronously: give
  // them a moment to go before calling one a leak.
  for (let tries = 0; tries < 50 && loopsUnder(dir).length; tries++) execFileSync('sleep', ['0.1']);
  for (const dev of loopsUnder(dir)) {
    try {
      execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
    } catch {
      // detached meanwhile
    }
    cleaned.push(dev);
  }
  return cleaned;
}

/** Loop devices whose backing file is at or under `dir`. */
export function loopsUnder(dir: string): string[] {
  const out = execFileSync('losetup', ['-a', '-O', 'NAME,BACK-FILE', '-n'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/, 2))
    .filter(([dev, file]) => dev && file && (file === dir || file.startsWith(dir + '/')))
    .map(([dev]) => dev);
}
