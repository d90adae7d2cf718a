import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
// The CLI is not part of the public API; tests drive its entry point directly.
import { run } from '../../src/cli/main';

/** Runs the atomfs CLI in this process; returns exit status and output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** Runs the atomfs CLI in a separate node process (from source, through tsx). */
export function cliProcess(...argv: string[]): { code: number; out: string; err: string } {
  const pkg = join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main.ts').main(${JSON.stringify(argv)})`], { cwd: pkg, encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}
