import type { ServiceProcess, Sys } from '../sys';

/** Where the containers of one root live and which network namespace lxc runs in. */
export interface LxcContext {
  sys: Sys;
  lxcPath: string;
  netns?: string;
}

/** `lxc-info`: the container's state and init pid (host view); `STOPPED` when unknown. */
export async function lxcInfo(c: LxcContext, name: string): Promise<{ state: string; pid: number | null }> {
  // lxc's command socket is per network namespace, so ask from the one the container runs in.
  const r = await c.sys.run('lxc-info', ['-P', c.lxcPath, '-n', name, '-s', '-p', '-H'], { netns: c.netns, allowFail: true });
  if (r.code !== 0) return { state: 'STOPPED', pid: null };
  // Output: "State:          RUNNING\nPID:            1234\n" (labels stay even with -H).
  const state = /^State:\s*(\S+)/m.exec(r.stdout)?.[1] ?? 'STOPPED';
  const pid = /^PID:\s*(\d+)/m.exec(r.stdout)?.[1];
  return { state, pid: pid ? Number(pid) : null };
}

/**
 * Starts `lxc-execute` in the foreground under the caller's supervision: it passes the
 * command's exit status through (`lxc-start -F` would exit 0 whatever happened), and the
 * command's stdout/stderr go to `logFile`.
 */
export function lxcExecute(c: LxcContext, name: string, logFile: string): ServiceProcess {
  return c.sys.spawn('lxc-execute', ['-P', c.lxcPath, '-n', name], { netns: c.netns, logFile });
}

/** Stops a container: the halt signal (lxc-init turns it into SIGTERM), SIGKILL after `timeoutMs`. */
export async function lxcStop(c: LxcContext, name: string, timeoutMs: number): Promise<void> {
  const secs = Math.max(0, Math.ceil(timeoutMs / 1000));
  const args = secs === 0 ? ['-P', c.lxcPath, '-n', name, '-k'] : ['-P', c.lxcPath, '-n', name, '-t', String(secs)];
  // A container that is not running makes lxc-stop fail; that is the goal state, not an error.
  await c.sys.run('lxc-stop', args, { netns: c.netns, allowFail: true });
}

/** Names of the running containers of this lxcpath. */
export async function lxcRunning(c: LxcContext): Promise<string[]> {
  const r = await c.sys.run('lxc-ls', ['-P', c.lxcPath, '--running', '-1'], { netns: c.netns, allowFail: true });
  return r.code === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
}

/** Runs a command inside a running container (health checks); resolves to its exit status. */
export async function lxcAttach(c: LxcContext, name: string, argv: string[], timeoutMs: number): Promise<number> {
  const args = ['-P', c.lxcPath, '-n', name, '--clear-env', '--set-var', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--', ...argv];
  const r = await c.sys.run('lxc-attach', args, { netns: c.netns, allowFail: true, timeoutMs });
  return r.code;
}
