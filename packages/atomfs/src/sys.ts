import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { ToolFailedError } from './errors';

/**
 * The one seam through which atomfs touches the machine: mounts, loop devices, device-mapper
 * and the external tools (mksquashfs, unsquashfs, veritysetup, squashfuse, tar). Everything
 * above it is plain logic, so unit tests pass a fake `Sys` and the integration tests run the
 * same code against {@link realSys}.
 */
export interface Sys {
  /** Runs a tool to completion; throws {@link ToolFailedError} on a non-zero exit unless `allowFail`. */
  run(tool: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a tool that reads a stream on stdin (mksquashfs -tar); `done` settles like `run`. */
  runWithInput(tool: string, args: string[], opts?: RunOptions): { stdin: Writable; done: Promise<RunResult> };
  /** Starts a tool whose stdout is a stream (tar -c); `done` settles like `run`. */
  runWithOutput(tool: string, args: string[], opts?: RunOptions): { stdout: Readable; done: Promise<RunResult> };
  /** `mount -t <fstype> -o <options> <source> <target>`. */
  mount(m: { fstype: string; source: string; target: string; options: string }): Promise<void>;
  /** `umount <target>` (never lazy: a busy mount stays and the call fails). */
  umount(target: string): Promise<void>;
  /** The text of `/proc/self/mountinfo`. */
  mountinfo(): Promise<string>;
  /** euid 0 in the initial user namespace (uid_map `0 0 4294967295`): kernel mounts allowed. */
  isHostRoot(): boolean;
  /** Whether a device or path exists (`/sys/class/misc/device-mapper`, `/dev/fuse`). */
  exists(path: string): boolean;
}

export interface RunOptions {
  env?: Record<string, string>;
  allowFail?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Output kept from a tool: enough for listings and error messages, bounded so a chatty tool
// cannot grow memory without limit.
const MAX_CAPTURE = 8 * 1024 * 1024;

function start(tool: string, args: string[], opts: RunOptions, stdio: ['pipe' | 'ignore', 'pipe', 'pipe']) {
  const child = spawn(tool, args, { stdio, env: opts.env ? { ...process.env, ...opts.env } : process.env });
  let stdout = '';
  let stderr = '';
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', (e) =>
      reject(new ToolFailedError(`${tool}: ${e.message}`, { tool, args, exitCode: null }, { cause: e })),
    );
    child.on('close', (code, signal) => {
      const r = { code: code ?? 128, stdout, stderr };
      if (r.code !== 0 && !opts.allowFail) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ') || (signal ? `killed by ${signal}` : `exit ${r.code}`);
        reject(new ToolFailedError(`${tool} failed: ${why}`, { tool, args, exitCode: r.code, stderr: stderr.slice(-4096) }));
      } else resolve(r);
    });
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < MAX_CAPTURE) stderr += s;
  });
  const addStdout = (s: string) => {
    if (stdout.length < MAX_CAPTURE) stdout += s;
  };
  return { child, done, addStdout };
}

/** The real machine. */
export const realSys: Sys = {
  run(tool, args, opts = {}) {
    const { child, done, addStdout } = start(tool, args, opts, ['ignore', 'pipe', 'pipe']);
    child.stdout!.setEncoding('utf8').on('data', addStdout);
    return done;
  },
  runWithInput(tool, args, opts = {}) {
    const { child, done, addStdout } = start(tool, args, opts, ['pipe', 'pipe', 'pipe']);
    child.stdout!.setEncoding('utf8').on('data', addStdout);
    return { stdin: child.stdin!, done };
  },
  runWithOutput(tool, args, opts = {}) {
    const { child, done } = start(tool, args, opts, ['ignore', 'pipe', 'pipe']);
    return { stdout: child.stdout!, done };
  },
  async mount({ fstype, source, target, options }) {
    await realSys.run('mount', ['-t', fstype, '-o', options, source, target]);
  },
  async umount(target) {
    await realSys.run('umount', [target]);
  },
  mountinfo() {
    return readFile('/proc/self/mountinfo', 'utf8');
  },
  isHostRoot() {
    if (process.geteuid?.() !== 0) return false;
    try {
      return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295';
    } catch {
      return false;
    }
  },
  exists(path) {
    return existsSync(path);
  },
};
