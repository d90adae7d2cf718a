import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository root (tools/test-utils/src/../../..). */
export const TOP = resolve(__dirname, '..', '..', '..');

const BINS = {
  mosctl: 'packages/mosctl/bin/mosctl.js',
  mosb: 'packages/mosctl/bin/mosb.js',
  trust: 'packages/trust/bin/trust.js',
  atomfs: 'packages/atomfs/bin/atomfs.js',
} as const;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a built mos bin (as `npx <bin>` does) and collects its output. The bins run from
 * `dist/`: build first (`npx nx run-many -t build`; the test command does).
 */
export function runBin(bin: keyof typeof BINS, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(TOP, BINS[bin]), ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Like {@link runBin} but throws with the output when the exit status is not 0. */
export async function runOk(bin: keyof typeof BINS, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await runBin(bin, args, opts);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}
