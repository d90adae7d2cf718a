import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { MosctlError } from '../errors';

/**
 * The one seam through which the disk code touches the machine: external tools (sfdisk, partx,
 * wipefs, mkfs.*, mount, umount, mtools), sysfs/procfs text, and raw reads of a block device.
 * Everything above it is plain logic; unit tests pass a fake and the e2e tests run
 * {@link realDiskSys}. (Same shape as `@mos/atomfs`'s `Sys`.)
 */
export interface DiskSys {
  /** Runs a tool to completion; throws `ERR_MOSCTL_TOOL_FAILED` on a non-zero exit unless `allowFail`. */
  run(tool: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** `stat` of a path; undefined when it does not exist. */
  stat(path: string): { blockDevice: boolean; rdev: number } | undefined;
  /** A small text file (sysfs, procfs), trimmed; undefined when absent or unreadable. */
  readText(path: string): string | undefined;
  /** `length` bytes at `offset` of a file or device (short at its end). */
  readBytes(path: string, offset: number, length: number): Buffer;
  /** Names in a directory; [] when it does not exist. */
  list(dir: string): string[];
  /** The canonical path (symlinks resolved); undefined when it does not exist. */
  realpath(path: string): string | undefined;
  sleep(ms: number): Promise<void>;
}

export interface RunOptions {
  /** Written to the tool's stdin (sfdisk scripts). */
  input?: string;
  allowFail?: boolean;
  env?: Record<string, string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

/** The real machine. */
export const realDiskSys: DiskSys = {
  run(tool, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(tool, args, {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        if (stdout.length < MAX_CAPTURE) stdout += s;
      });
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        if (stderr.length < MAX_CAPTURE) stderr += s;
      });
      child.on('error', (e) => reject(toolFailed(tool, args, null, e.message, e)));
      child.on('close', (code, signal) => {
        const r = { code: code ?? 128, stdout, stderr };
        if (r.code !== 0 && !opts.allowFail) {
          const why = stderr.trim().split('\n').slice(-3).join(' | ') || (signal ? `killed by ${signal}` : `exit ${r.code}`);
          reject(toolFailed(tool, args, r.code, why, undefined, stderr));
        } else resolve(r);
      });
      if (opts.input !== undefined) {
        child.stdin!.on('error', () => undefined); // a tool that exits early: its exit status says why
        child.stdin!.end(opts.input);
      }
    });
  },
  stat(path) {
    try {
      const st = statSync(path);
      return { blockDevice: st.isBlockDevice(), rdev: st.rdev };
    } catch {
      return undefined;
    }
  },
  readText(path) {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  readBytes(path, offset, length) {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  realpath(path) {
    return existsSync(path) ? realpathSync(path) : undefined;
  },
  sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
  },
};

function toolFailed(tool: string, args: string[], exitCode: number | null, why: string, cause?: unknown, stderr?: string): MosctlError {
  return new MosctlError('ERR_MOSCTL_TOOL_FAILED', `${tool} failed: ${why}`, {
    cause,
    details: { tool, args, exitCode, stderr: stderr?.slice(-4096) },
  });
}

/** Linux `major(dev)`/`minor(dev)` of an `rdev` as `MAJ:MIN` (the form sysfs and mountinfo use). */
export function majMin(rdev: number): string {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}
