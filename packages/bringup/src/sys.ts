import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BringupError } from './errors';

/**
 * The seam through which the initramfs builder runs external tools: `ldd` and `busybox
 * --list-full` (captured), and the compressors (streamed both ways). Reading the kernel tree
 * and the input files is plain `node:fs`: those are inputs, not effects. Unit tests pass a
 * fake; the real builds run {@link realInitrdSys}.
 *
 * @example
 * ```ts
 * import { realInitrdSys } from '@mos/bringup';
 * const { stdout } = await realInitrdSys.run('ldd', ['/usr/sbin/dmsetup']);
 * ```
 */
export interface InitrdSys {
  /** Runs a tool to completion and captures its output; throws on a non-zero exit unless `allowFail`. */
  run(tool: string, args: string[], opts?: { allowFail?: boolean }): Promise<ToolResult>;
  /** Starts a filter (a compressor): write to `stdin`, read `stdout`; `done` settles when it exits (rejects on non-zero). */
  filter(tool: string, args: string[]): { stdin: Writable; stdout: Readable; done: Promise<ToolResult> };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Captured output is bounded so a chatty tool cannot grow memory without limit.
const MAX_CAPTURE = 4 * 1024 * 1024;

function failure(tool: string, args: string[], why: string, extra: Record<string, unknown>, cause?: unknown) {
  return new BringupError('ERR_BRINGUP_INITRD_BUILD', `${tool} failed: ${why}`, { cause, details: { tool, args, ...extra } });
}

function start(tool: string, args: string[], stdio: ['ignore' | 'pipe', 'pipe', 'pipe'], allowFail: boolean, captureStdout: boolean) {
  // LC_ALL=C: ldd's "not a dynamic executable" is matched as text.
  const child = spawn(tool, args, { stdio, env: { ...process.env, LC_ALL: 'C' } });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < MAX_CAPTURE) stderr += s;
  });
  if (captureStdout)
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += s;
    });
  const done = new Promise<ToolResult>((resolve, reject) => {
    child.on('error', (e) => reject(failure(tool, args, e.message, { exitCode: null }, e)));
    child.on('close', (code, signal) => {
      const r = { code: code ?? 128, stdout, stderr };
      if (r.code !== 0 && !allowFail) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ') || (signal ? `killed by ${signal}` : `exit ${r.code}`);
        reject(failure(tool, args, why, { exitCode: r.code, stderr: stderr.slice(-4096) }));
      } else resolve(r);
    });
  });
  return { child, done };
}

/** The real machine. */
export const realInitrdSys: InitrdSys = {
  run(tool, args, opts = {}) {
    return start(tool, args, ['ignore', 'pipe', 'pipe'], opts.allowFail === true, true).done;
  },
  filter(tool, args) {
    const { child, done } = start(tool, args, ['pipe', 'pipe', 'pipe'], false, false);
    return { stdin: child.stdin!, stdout: child.stdout!, done };
  },
};
