import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

let w: World;
let root: string;
let url: string;

beforeAll(async () => {
  w = await makeWorld();
  url = await publishYaml(w, installYaml(w, 'fsonly'), 'machine/install:status');
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  expect(cleanupMounts(root)).toEqual([]);
});

const statusJson = async () => {
  const r = await runBin('mosctl', ['status', '--rfs', root, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) };
};

test('not installed', async () => {
  expect(await statusJson()).toEqual({ code: 0, report: { schemaVersion: 2, root, installed: false, verified: false } });
  expect((await runOk('mosctl', ['status', '--rfs', root])).stdout).toMatch(/not installed/);
});

test('installed: product, commit, every target with digest and size, and where it is mounted', async () => {
  await runOk('mosctl', ['install', '--rfs', root, url], { env: w.env });
  const dest = join(root, 'mnt', 'x');
  await runOk('mosctl', ['mount', '--rfs', root, '--target', 'hostfstarget', '--readonly', '--dest', dest]);
  try {
    const { code, report } = await statusJson();
    expect(code).toBe(0);
    expect(report).toMatchObject({ schemaVersion: 2, installed: true, verified: true, product: w.product, history: [{ message: 'Initial commit' }] });
    expect(report.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(report.targets.map((t: { name: string; type: string; mounts: unknown[] }) => [t.name, t.type, t.mounts])).toEqual([
      ['hostfs', 'hostfs', []],
      ['hostfstarget', 'fs-only', [{ dest, writable: false, layers: [expect.objectContaining({ backend: 'verified-loop', protection: 'verified-at-mount' })] }]],
    ]);
    // This host's kernel has no device-mapper: status says the fallback is in force and what it does not cover.
    expect(report.targets[1].mounts[0].layers[0].detail).toMatch(/changes to the file after that check are NOT detected/);
    expect(report.targets[0]).toMatchObject({ version: '1.0.0', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), size: expect.any(Number) });
    const text = (await runOk('mosctl', ['status', '--rfs', root])).stdout;
    expect(text).toContain('hostfstarget');
    expect(text).toContain(`${dest} (ro)`);
    expect(text).toMatch(/layer protection\n  verified-at-mount: whole layer re-hashed in userspace/);
  } finally {
    await runOk('mosctl', ['umount', dest]);
  }
});

test('a state that does not verify: exit 3, and the report says why', async () => {
  await runOk('mosctl', ['install', '--rfs', root, url], { env: w.env });
  const repo = join(root, 'config', 'manifest.git');
  appendFileSync(join(repo, 'manifest.json'), ' ');
  const sha = execFileSync('git', ['-C', repo, 'ls-tree', '--name-only', 'master'], { encoding: 'utf8' }).split('\n').find((f) => /^[0-9a-f]{64}\.json$/.test(f))!;
  appendFileSync(join(repo, sha), ' $');
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'tamper']);
  const { code, report } = await statusJson();
  expect(code).toBe(3);
  expect(report).toMatchObject({ installed: true, verified: false, error: { code: 'ERR_MANIFEST_STATE_CORRUPT' } });
});
