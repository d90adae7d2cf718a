import { readFileSync } from 'node:fs';
import { sh } from './tmp';

function mountinfo(): { target: string; fstype: string; source: string }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const d = f.indexOf('-', 6);
      const un = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      return { target: un(f[4]), fstype: f[d + 1], source: un(f[d + 2]) };
    });
}

/** Mounts at or below `dir` (ours only: other people use this machine too). */
export function mountsUnder(dir: string): { target: string; fstype: string; source: string }[] {
  return mountinfo().filter((m) => m.target === dir || m.target.startsWith(`${dir}/`));
}

/** Loop devices whose backing file is below `dir`. */
export function loopsUnder(dir: string): string[] {
  const out = sh('losetup', ['-a', '-n', '-O', 'NAME,BACK-FILE'], { allowFail: true }).out;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[1].startsWith(`${dir}/`))
    .map((f) => f[0]);
}

/**
 * Safety net for afterEach/afterAll: unmounts whatever is still mounted below `dir` (last
 * mounted first) and detaches loop devices backed by files there. Returns what it had to
 * clean, so a test can assert that the library left nothing behind.
 */
export function forceCleanup(dir: string): string[] {
  const left: string[] = [];
  for (const m of mountsUnder(dir).reverse()) {
    left.push(m.target);
    sh('umount', ['-l', m.target], { allowFail: true });
  }
  for (const l of loopsUnder(dir)) {
    left.push(l);
    sh('losetup', ['-d', l], { allowFail: true });
  }
  return left;
}
