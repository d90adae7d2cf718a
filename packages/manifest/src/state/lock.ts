import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ManifestError } from '../errors';
import { realSys, type Sys } from '../sys';
import { statePaths } from './paths';
import { removeStaleTemps } from '../git/atomic-fs';

/** The state lock is held by another process; `holder` names it. */
export class StateLockedError extends ManifestError {
  constructor(
    message: string,
    readonly holder: { pid: number; command: string } | undefined,
  ) {
    super('ERR_MANIFEST_LOCKED', message);
  }
}

/** A held state lock; `release()` frees it (dying frees it too). */
export interface StateLock {
  readonly path: string;
  readonly mode: 'exclusive' | 'shared';
  release(): Promise<void>;
}

/**
 * Takes `R/config/manifest.lock` (exclusive for install/update, shared for readers), without
 * waiting or for at most `waitMs` (for the short holds of the supervisor's trial watch):
 * contention is an error naming the holder's pid and command line.
 *
 * Node has no flock(2), so a `flock(1)` child takes the kernel lock and keeps it while its
 * stdin -- a pipe from us -- stays open. When we release, or die in any way (kill -9 too),
 * the pipe closes, the child exits and the kernel drops the lock: no stale lock files. It is
 * the same flock(2) lock the original mosctl takes, so the two exclude each other.
 *
 * Every writer of `R/config` holds this lock exclusively, so an exclusive holder finds the
 * temp files of atomic writes a kill interrupted and removes them (`removeStaleTemps`): the
 * next state-changing command, whatever it is, leaves `git fsck` with nothing to report.
 *
 * @example
 * import { lockState } from '@mos/manifest';
 * const lock = await lockState({ root: '/tmp/root', mode: 'exclusive' });
 * try { ... } finally { await lock.release(); }
 */
export async function lockState(opts: { root: string; mode: 'exclusive' | 'shared'; sys?: Sys; waitMs?: number }): Promise<StateLock> {
  const sys = opts.sys ?? realSys;
  const { configDir, lock: path } = statePaths(opts.root);
  if (!existsSync(configDir)) throw new ManifestError('ERR_MANIFEST_NO_STATE', `configuration directory ${configDir} is missing`);
  await (await open(path, 'a', 0o600)).close();
  const wait = opts.waitMs ? ['-w', String(opts.waitMs / 1000)] : ['-n'];
  const child = sys.spawn('flock', [opts.mode === 'exclusive' ? '-x' : '-s', ...wait, path, 'sh', '-c', 'echo locked; exec cat >/dev/null']);
  const got = await new Promise<boolean>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve(true);
    });
    child.once('error', reject);
    child.once('exit', () => resolve(false));
  });
  if (!got) {
    const holder = await lockHolder(path, sys).catch(() => undefined);
    const who = holder ? `pid ${holder.pid} (${holder.command})` : 'another process';
    throw new StateLockedError(`the state of ${opts.root} is locked by ${who}; wait for it to finish`, holder);
  }
  if (opts.mode === 'exclusive') await removeStaleTemps(configDir);
  return { path, mode: opts.mode, release: () => releaseChild(child) };
}

async function releaseChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.stdin?.end();
  await exited;
}

/**
 * Who holds the flock on `path`, from /proc/locks (matched by device and inode). When the
 * holder is a `flock` helper like ours, the process that started it is the one to name.
 */
export async function lockHolder(path: string, sys: Sys = realSys): Promise<{ pid: number; command: string } | undefined> {
  const st = await stat(path);
  // st_dev as the kernel encodes it (new_encode_dev): minor's low byte, major, minor's rest.
  const major = ((st.dev >> 8) & 0xfff).toString(16).padStart(2, '0');
  const minor = ((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)).toString(16).padStart(2, '0');
  const id = `${major}:${minor}:${st.ino}`;
  for (const line of (await sys.readProc('/proc/locks')).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'FLOCK' || f[5] !== id) continue;
    let pid = Number(f[4]);
    const comm = (await sys.readProc(`/proc/${pid}/comm`).catch(() => '')).trim();
    if (comm === 'flock') {
      const stat = await sys.readProc(`/proc/${pid}/stat`);
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    }
    const cmdline = await sys.readProc(`/proc/${pid}/cmdline`).catch(() => '');
    // One line, bounded: a command line may hold newlines (sh -c scripts) or be huge.
    const command = (cmdline.split('\0').filter(Boolean).join(' ') || comm).replace(/\s+/g, ' ').trim();
    return { pid, command: command.length > 160 ? `${command.slice(0, 157)}...` : command };
  }
  return undefined;
}
