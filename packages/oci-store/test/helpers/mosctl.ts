import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const top = join(__dirname, '..', '..', '..', '..');
const main = join(top, 'packages', 'mosctl', 'src', 'cli', 'main.ts');
// tsx resolves @mos/* (and @mos/oci-store/server) to source through this package's tsconfig paths,
// so the CLI runs without a build.
const env = { ...process.env, TSX_TSCONFIG_PATH: join(top, 'packages', 'oci-store', 'tsconfig.json') };
const args = (argv: string[]) => ['--import', 'tsx', '-e', `require(${JSON.stringify(main)}).mosctl(${JSON.stringify(argv)})`];

/** Runs `mosctl ARGV` as a real process; resolves with its exit status and output. */
export function mosctl(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args(argv), { cwd: top, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/** Starts `mosctl serve --json …` and waits for its address line; `stop()` sends SIGTERM and waits. */
export async function mosctlServe(argv: string[]): Promise<{ host: string; stop(): Promise<number | null> }> {
  const child: ChildProcess = spawn(process.execPath, args(['serve', '--json', '--addr', '127.0.0.1:0', ...argv]), { cwd: top, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  const host = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b) => {
      out += b;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { address: string }).address);
    });
    child.once('exit', (code) => reject(new Error(`mosctl serve exited ${code}: ${err}`)));
  });
  return {
    host,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
