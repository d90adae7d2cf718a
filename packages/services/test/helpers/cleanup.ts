// Cleanup that runs also when a test failed: stop the supervisor, then remove by force anything
// still mounted or running under the root, delete test network namespaces, remove temp dirs.
import { stopServices } from '@mos/services';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(dir + '/'))
    .reverse();

/** What a root left behind: mounts, lxc containers known to lxc-ls. Empty when clean. */
export function leftovers(root: string, netns?: string): { mounts: string[]; containers: string[] } {
  const ls = spawnSync(netns ? 'ip' : 'lxc-ls', netns ? ['netns', 'exec', netns, 'lxc-ls', '-P', join(root, 'var/lib/lxc'), '-1'] : ['-P', join(root, 'var/lib/lxc'), '-1'], { encoding: 'utf8' });
  return { mounts: mountsUnder(root), containers: ls.stdout.split('\n').filter(Boolean) };
}

/** Stops the root's supervisor (cleanly), then force-cleans whatever remains, then removes the dirs. */
export async function destroyRoot(root: string, netns?: string, ...dirs: string[]): Promise<void> {
  try {
    await stopServices({ root });
  } catch (e) {
    process.stderr.write(`cleanup: stopServices(${root}): ${(e as Error).message}\n`);
  }
  try {
    const pid = Number(readFileSync(join(root, 'run/mos/supervisor.pid'), 'utf8'));
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // no supervisor left
  }
  const lxcPath = join(root, 'var/lib/lxc');
  for (const name of leftovers(root, netns).containers) {
    const args = ['-P', lxcPath, '-n', name, '-k'];
    spawnSync(netns ? 'ip' : 'lxc-stop', netns ? ['netns', 'exec', netns, 'lxc-stop', ...args] : args);
  }
  for (const m of mountsUnder(root)) spawnSync('umount', [m]);
  for (const m of mountsUnder(root)) spawnSync('umount', ['-l', m]);
  rmSync(root, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Creates a network namespace with loopback up; returns its name. */
export function makeNetns(): string {
  const name = `mos-t-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return name;
}

export function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'delete', name]);
}

/** Runs a command inside a netns; returns stdout (throws on failure). */
export function inNetns(ns: string, cmd: string, args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
}
