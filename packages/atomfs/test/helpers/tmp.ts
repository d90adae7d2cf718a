import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temp dir, created on first use of `dir` (so a describe block Jest skips, whose afterAll
 * then never runs, leaves nothing behind); `cleanup` removes it (call it in afterAll/finally).
 */
export function tempDir(prefix = 'atomfs-test-'): { readonly dir: string; cleanup: () => void } {
  let dir: string | undefined;
  return {
    get dir() {
      dir ??= mkdtempSync(join(tmpdir(), prefix));
      return dir;
    },
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs an oracle tool; returns stdout, and the exit status instead of throwing when `allowFail`. */
export function sh(cmd: string, args: string[], opts: { allowFail?: boolean; env?: Record<string, string> } = {}): { code: number; out: string; err: string } {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 });
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    if (!opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${x.status}): ${x.stderr}`);
    return { code: x.status ?? 1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/** Flips one byte of a file in place. */
export function flipByte(file: string, offset: number): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0] ^= 0xff;
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}
