import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { chmod, lchown, lstat, opendir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ToolFailedError } from './errors';

/**
 * The one seam through which `@mos/services` touches the machine: external tools (lxc-*, ip,
 * iptables, mount, mkfs, usermod), long-running container processes, ownership walks,
 * signals and TCP probes. Everything above it is logic; unit tests pass a fake `Sys`, the
 * integration tests run the same code against {@link realSys}.
 */
export interface Sys {
  /**
   * Runs a tool to completion. With `netns`, inside that network namespace (`ip netns exec`,
   * which also gives the tool that namespace's `/sys` -- lxc reads bridges there). Throws
   * {@link ToolFailedError} on a non-zero exit unless `allowFail`.
   */
  run(tool: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-running tool (lxc-execute) in its own process group; stdout and stderr append to `logFile`. */
  spawn(tool: string, args: string[], opts: { netns?: string; logFile: string }): ServiceProcess;
  /** The text of `/proc/self/mountinfo`. */
  mountinfo(): Promise<string>;
  /**
   * Shifts the owner of every entry under `dir` (not crossing mount points): ids below `size`
   * become `hostid + id`; ids already in the range stay. Set-id bits are restored after chown
   * (the kernel clears them). Returns the number of entries changed.
   */
  shiftOwnership(dir: string, hostid: number, size: number): Promise<number>;
  /** Sends a signal; a process that is gone already is not an error. */
  kill(pid: number, signal: NodeJS.Signals): void;
  /** Whether a process with this pid exists. */
  isAlive(pid: number): boolean;
  /** Whether a TCP connection to host:port succeeds within `timeoutMs` (from inside `netns` when given). */
  tcpProbe(host: string, port: number, timeoutMs: number, netns?: string): Promise<boolean>;
  /** `/proc/self/uid_map` (host or nested uid ranges). */
  uidMap(): string;
}

export interface RunOptions {
  netns?: string;
  allowFail?: boolean;
  /** Kill the tool after this long (health checks). Default: no limit. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A started service process: its pid and how it ended. */
export interface ServiceProcess {
  pid: number;
  exited: Promise<ProcessExit>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Output kept from a tool: enough for parsing and error messages, bounded.
const MAX_CAPTURE = 4 * 1024 * 1024;

const withNetns = (tool: string, args: string[], netns?: string): [string, string[]] =>
  netns ? ['ip', ['netns', 'exec', netns, tool, ...args]] : [tool, args];

function run(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, argv] = withNetns(tool, args, opts.netns);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => void (stdout.length < MAX_CAPTURE && (stdout += s)));
    child.stderr.setEncoding('utf8').on('data', (s: string) => void (stderr.length < MAX_CAPTURE && (stderr += s)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ToolFailedError(`${tool}: ${e.message} (is it installed?)`, { tool, args, exitCode: null }, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r = { code: code ?? 128, stdout, stderr };
      if (r.code === 0 || opts.allowFail) return resolve(r);
      const why = stderr.trim().split('\n').slice(-3).join(' | ') || (signal ? `killed by ${signal}` : `exit ${r.code}`);
      reject(new ToolFailedError(`${tool} ${args.join(' ')} failed: ${why}`, { tool, args, exitCode: r.code, stderr: stderr.slice(-4096) }));
    });
  });
}

async function mountPointsUnder(dir: string): Promise<Set<string>> {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && mp !== dir && mp.startsWith(dir + '/')) out.add(mp);
  }
  return out;
}

async function shiftOwnership(dir: string, hostid: number, size: number): Promise<number> {
  const skip = await mountPointsUnder(dir);
  const map = (id: number) => (id < size ? hostid + id : id);
  let changed = 0;
  const fix = async (p: string) => {
    const st = await lstat(p);
    const uid = map(st.uid);
    const gid = map(st.gid);
    if (uid === st.uid && gid === st.gid) return;
    await lchown(p, uid, gid);
    // chown clears set-uid/set-gid bits (also for root); put them back.
    if (!st.isSymbolicLink() && st.mode & 0o6000) await chmod(p, st.mode & 0o7777);
    changed++;
  };
  const visit = async (d: string, queue: string[]) => {
    await fix(d);
    const files: string[] = [];
    for await (const e of await opendir(d)) {
      const p = join(d, e.name);
      if (!e.isDirectory()) files.push(p);
      else if (!skip.has(p)) queue.push(p);
    }
    for (let i = 0; i < files.length; i += 64) await Promise.all(files.slice(i, i + 64).map(fix));
  };
  // A few walkers share one queue of directories, so a large tree never opens thousands of fds
  // at once; a walker that finds the queue empty waits while others may still add to it.
  const queue: string[] = [dir];
  let busy = 0;
  const walker = async () => {
    for (;;) {
      const d = queue.pop();
      if (d === undefined) {
        if (busy === 0) return;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      busy++;
      try {
        await visit(d, queue);
      } finally {
        busy--;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, walker));
  return changed;
}

function tcpProbe(host: string, port: number, timeoutMs: number, netns?: string): Promise<boolean> {
  if (netns) {
    // The probe has to start inside the namespace: a tiny node script run there.
    const script = `const s=require('net').connect(${port},${JSON.stringify(host)});s.setTimeout(${timeoutMs},()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
    return run(process.execPath, ['-e', script], { netns, allowFail: true }).then((r) => r.code === 0);
  }
  return new Promise((resolve) => {
    const s = connect(port, host);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

/**
 * The whole environment of a supervised service process (`lxc-execute` and through it the
 * container's init): the caller's environment -- tokens, proxies, whatever the operator had
 * exported when running `mosctl boot` -- must not reach a container, whose root can read its
 * init's environment. What a container gets is its image's Env and what the config sets.
 */
export const SERVICE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

/** The real machine. */
export const realSys: Sys = {
  run,
  spawn(tool, args, opts) {
    const [cmd, argv] = withNetns(tool, args, opts.netns);
    const fd = openSync(opts.logFile, 'a', 0o640);
    try {
      const child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], detached: true, env: { ...SERVICE_ENV } });
      const exited = new Promise<ProcessExit>((resolve) => {
        child.on('error', () => resolve({ code: 127, signal: null }));
        child.on('exit', (code, signal) => resolve({ code, signal }));
      });
      if (child.pid === undefined) return { pid: -1, exited };
      return { pid: child.pid, exited };
    } finally {
      closeSync(fd);
    }
  },
  mountinfo: async () => readFileSync('/proc/self/mountinfo', 'utf8'),
  shiftOwnership,
  kill(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  },
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  tcpProbe,
  uidMap: () => readFileSync('/proc/self/uid_map', 'utf8'),
};
