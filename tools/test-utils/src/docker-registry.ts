import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running docker-registry (Debian's distribution 2.8) on a free loopback port. */
export interface DockerRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Extra YAML for the `auth:` section (token or htpasswd), already indented by two spaces. */
export interface RegistryConfig {
  auth?: string;
}

/**
 * Starts `docker-registry serve` with temp storage on 127.0.0.1 port 0 and waits for its
 * "listening on" line. `stop()` kills it by pid, waits for the exit and removes the storage.
 */
export async function startDockerRegistry(cfg: RegistryConfig = {}): Promise<DockerRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'docker-registry-'));
  const yml = [
    'version: 0.1',
    'log: {level: info, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
    'http: {addr: "127.0.0.1:0", secret: test-secret}',
    ...(cfg.auth ? ['auth:', cfg.auth] : []),
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), yml);
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const host = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`docker-registry exited ${code}: ${out}`)));
    child.once('error', reject);
  }).catch((e) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    host,
    dir,
    log: () => out,
    async stop() {
      if (child.exitCode === null && child.pid) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
