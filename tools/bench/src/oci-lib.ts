// Shared pieces of the oci-* benchmarks: a random multi-layer image in a layout, a
// docker-registry on a free loopback port, timing helpers. Uses the built @mos/oci-store.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore, MediaType, type Descriptor } from '@mos/oci-store';

export const MIB = 1 << 20;

/** Writes `layers` random layers of `layerMiB` each (+ config, manifest) into a new layout, tagged `v1`. */
export async function makeImage(dir: string, layers: number, layerMiB: number): Promise<Descriptor> {
  const store = await LayoutStore.open(dir, { create: true });
  const descs: Descriptor[] = [];
  for (let i = 0; i < layers; i++) {
    const f = join(dir, `layer-${i}`);
    const fd = openSync(f, 'w');
    const h = createHash('sha256');
    for (let m = 0; m < layerMiB; m += 4) {
      const b = randomBytes(Math.min(4, layerMiB - m) * MIB);
      h.update(b);
      writeSync(fd, b);
    }
    closeSync(fd);
    const d = { mediaType: MediaType.StackerSquashfsZstdVerity, digest: `sha256:${h.digest('hex')}`, size: layerMiB * MIB };
    await store.push(d, createReadStream(f));
    rmSync(f);
    descs.push(d);
  }
  const config = await store.pushJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) } }, MediaType.ImageConfig);
  const manifest = await store.pushJson({ schemaVersion: 2, mediaType: MediaType.ImageManifest, config, layers: descs }, MediaType.ImageManifest);
  await store.tag(manifest, 'v1');
  return manifest;
}

/** A docker-registry on 127.0.0.1:<free port> with temp storage. */
export async function dockerRegistry(): Promise<{ host: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-registry-'));
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1', 'log: {level: info, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`, 'http: {addr: "127.0.0.1:0", secret: bench}',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const host = await new Promise<string>((resolve, reject) => {
    const on = (b: Buffer) => {
      out += b;
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (c) => reject(new Error(`docker-registry exited ${c}: ${out}`)));
  });
  return { host, async stop() { child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); } };
}

/** Runs a command to completion (async, so in-process servers keep serving). */
export function sh(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${err}`))));
  });
}

/** Milliseconds an async function takes. */
export async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const best = (xs: number[]) => Math.min(...xs);

/** Flushes dirty pages so writeback of one run does not land in the next one's timing. */
export const settle = () => execFileSync('sync');

export function report(name: string, ours: number[], theirs: number[], theirName: string, goal?: number): void {
  const r = median(ours) / median(theirs);
  console.log(`${name}: ours median ${median(ours).toFixed(0)} ms (best ${best(ours).toFixed(0)}), ${theirName} median ${median(theirs).toFixed(0)} ms (best ${best(theirs).toFixed(0)})`);
  console.log(`  ratio ours/${theirName} = ${r.toFixed(2)}${goal !== undefined ? ` (goal <= ${goal}: ${r <= goal ? 'met' : 'NOT met'})` : ''}`);
}
