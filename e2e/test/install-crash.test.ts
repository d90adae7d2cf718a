import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk, TOP } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Install under contention and under kill -9: one winner, a named lock holder, and never a
// half-installed root that verifies.
let w: World;
let url: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  w = await makeWorld();
  url = await publishYaml(w, installYaml(w, 'fsonly'), 'machine/install:crash');
});
afterAll(() => stopWorld(w));
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
});

function spawnInstall(root: string): ChildProcess {
  const c = spawn(process.execPath, [join(TOP, 'packages/mosctl/bin/mosctl.js'), 'install', '--rfs', root, url], { stdio: 'ignore', env: { ...process.env, ...w.env } });
  children.push(c);
  return c;
}
const exitOf = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

/** The whole verification a booting machine does, then unmount. */
async function verifies(root: string): Promise<boolean> {
  const dest = join(root, 'sysroot');
  const r = await runBin('mosctl', ['create-boot-fs', '--readonly', '--rfs', root, '--dest', dest]);
  if (r.code === 0) await runOk('mosctl', ['umount', dest]);
  return r.code === 0;
}

test('two concurrent installs: one wins, the other reports busy or already installed', async () => {
  const root = makeRoot(w);
  const results = await Promise.all([
    runBin('mosctl', ['install', '--rfs', root, url], { env: w.env }),
    runBin('mosctl', ['install', '--rfs', root, url], { env: w.env }),
  ]);
  const codes = results.map((r) => r.code).sort();
  expect(codes[0]).toBe(0);
  expect([5, 6]).toContain(codes[1]);
  const loser = results.find((r) => r.code !== 0)!;
  expect(loser.stderr).toMatch(/already installed|locked by pid \d+/);
  expect(await verifies(root)).toBe(true);
});

test('a held lock is reported with the holder\'s pid and command', async () => {
  const root = makeRoot(w);
  const py = `import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(600)`;
  const holder = spawn('python3', ['-c', py, join(root, 'config', 'manifest.lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(holder);
  await new Promise((r) => holder.stdout!.once('data', r));
  const r = await runBin('mosctl', ['install', '--rfs', root, url], { env: w.env });
  expect(r.code).toBe(6);
  expect(r.stderr).toMatch(new RegExp(`locked by pid ${holder.pid} \\(\\S*python3 -c import fcntl`));
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(existsSync(join(root, 'config', 'manifest.git'))).toBe(false);
});

// Every state a kill can leave while the store's layout is being created (oci-layout comes last):
// the retry must treat each as a new store, not refuse it as "not an OCI image layout".
test.each([
  ['only the directory', []],
  ['blobs/ made', ['blobs/sha256/']],
  ['blobs/ and index.json', ['blobs/sha256/', 'index.json']],
  ['and the oci-layout temp file', ['blobs/sha256/', 'index.json', '.oci-layout-0123abcd']],
])('a store left half-created (%s) is made whole by the retry', async (_what, parts) => {
  const root = makeRoot(w);
  const store = join(root, 'atomfs-store', 'mos');
  mkdirSync(store, { recursive: true });
  for (const p of parts as string[]) {
    if (p.endsWith('/')) mkdirSync(join(store, p), { recursive: true });
    else writeFileSync(join(store, p), p === 'index.json' ? '{"schemaVersion":2,"manifests":[]}' : '{"imageLayoutVersion":"1.0.0"}');
  }
  try {
    const r = await runBin('mosctl', ['install', '--rfs', root, url], { env: w.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(store, 'oci-layout'))).toBe(true);
    expect(await verifies(root)).toBe(true);
  } finally {
    expect(cleanupMounts(root)).toEqual([]);
  }
});

test('kill -9 at random moments, then a retry: the full system, never a half one that verifies', async () => {
  const cal = makeRoot(w);
  const t0 = Date.now();
  expect(await exitOf(spawnInstall(cal))).toBe(0);
  const duration = Date.now() - t0;
  const seen = { none: 0, whole: 0 };
  for (let i = 0; i < 20; i++) {
    const root = makeRoot(w);
    try {
      const child = spawnInstall(root);
      await new Promise((r) => setTimeout(r, Math.random() * duration * 1.3));
      child.kill('SIGKILL');
      await exitOf(child);
      if (existsSync(join(root, 'config', 'manifest.git'))) {
        // It got to the end: the state must be whole and verify.
        seen.whole++;
        expect(await verifies(root)).toBe(true);
      } else {
        seen.none++;
        const retry = await runBin('mosctl', ['install', '--rfs', root, url], { env: w.env });
        expect(retry.stderr).toBe('');
        expect(retry.code).toBe(0);
        expect(await verifies(root)).toBe(true);
      }
    } finally {
      expect(cleanupMounts(root)).toEqual([]);
    }
  }
  console.log(`install takes ~${duration} ms here; after kill -9: ${seen.none} roots had no state (retried), ${seen.whole} had the whole state`);
  expect(seen.none + seen.whole).toBe(20);
});
