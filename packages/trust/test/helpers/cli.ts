import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { trustMain } from '@mos/trust/cli';

/** What one CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `trust <argv>` in-process through the bin's entry point, capturing stdout, stderr and
 * the exit status it sets (process.exitCode is restored afterwards).
 */
export async function runTrust(argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  const saved = process.exitCode;
  try {
    await trustMain(argv);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = saved;
  }
}

const PKG = resolve(__dirname, '..', '..');
const TOP = resolve(PKG, '..', '..');

/**
 * Builds the package from the current source into `dir` exactly as `npm run build` does
 * (tsconfig.lib.json), next to a copy of `bin/trust.js`, so the real bin script runs as a
 * subprocess without touching the workspace's own `dist/`. Returns the bin path.
 */
export function buildTrustBin(dir: string): string {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [TOP] });
  execFileSync(process.execPath, [tsc, '-p', join(PKG, 'tsconfig.lib.json'), '--outDir', join(dir, 'dist')], { stdio: 'pipe' });
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(PKG, 'bin', 'trust.js'), join(dir, 'bin', 'trust.js'));
  symlinkSync(join(TOP, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin', 'trust.js');
}

/** Runs the built bin as a real subprocess. */
export function runTrustBin(bin: string, argv: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
