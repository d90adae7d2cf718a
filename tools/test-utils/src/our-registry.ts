import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOP } from './cli';

/** Our registry (`mosctl serve`) on a free loopback port with a temp store root. */
export interface OurRegistry {
  host: string;
  root: string;
  stop(): Promise<void>;
}

export async function startOurRegistry(): Promise<OurRegistry> {
  const root = mkdtempSync(join(tmpdir(), 'mos-serve-'));
  const child = spawn(process.execPath, [join(TOP, 'packages/mosctl/bin/mosctl.js'), 'serve', '--root', root, '--addr', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const host = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).address));
    child.once('exit', (code) => reject(new Error(`mosctl serve exited ${code}`)));
  }).catch((e) => {
    rmSync(root, { recursive: true, force: true });
    throw e;
  });
  return {
    host,
    root,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
