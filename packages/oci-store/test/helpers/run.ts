import { spawn, spawnSync } from 'node:child_process';

/** Runs a real tool and returns stdout; throws with stderr on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/**
 * Runs a real tool without blocking the event loop: needed whenever the tool talks to a server
 * running inside this test process (spawnSync would deadlock it).
 */
export function runAsync(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.once('error', reject);
    child.once('close', (status) => {
      if (status !== 0 && !opts.allowFail) reject(new Error(`${cmd} ${args.join(' ')} exited ${status}: ${stderr}`));
      else resolve({ stdout, stderr, status: status ?? -1 });
    });
  });
}
