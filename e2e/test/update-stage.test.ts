import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk, treeSnapshot } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Issue 10 §5 and §8: `update --download-only` stages an update (verified, imported, not
// current; gc keeps it), `update --apply` verifies it again and makes it current, a tampered
// stage is refused; the root remembers where it came from: `update` without a URL follows that
// tag, `switch URL` changes it. Real registry, real store, real git state.
let w: World;
const roots: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(async () => {
  for (const r of roots) expect(cleanupMounts(r)).toEqual([]);
  await stopWorld(w);
});

function newRoot(): string {
  const r = makeRoot(w);
  roots.push(r);
  return r;
}
const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const json = async (...args: string[]) => JSON.parse((await mosctl(...args, '--json')).stdout);
const fails = async (...args: string[]) => {
  const r = await runBin('mosctl', args, { env: w.env });
  return { code: r.code, stderr: r.stderr };
};
const git = (root: string, ...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' }).trim();
const head = (root: string) => git(root, 'rev-parse', 'master');
const digestOf = (tag: string) =>
  JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8')).manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag).digest as string;
const stagedFile = (root: string) => join(root, 'config', 'staged.json');

test('download-only stages without changing the state; gc keeps its images; apply verifies it again and makes it current', async () => {
  const root = newRoot();
  const v1 = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/stage:v1', ['--serial', '100']);
  const v2 = await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/stage:v2', ['--serial', '200']);
  const U1 = digestOf('busyboxu1-squashfs');
  await mosctl('install', '--rfs', root, v1);
  const c1 = head(root);

  const st = await json('update', '--download-only', '-r', root, v2);
  expect(st).toMatchObject({ changed: true, staged: true, checked: false, commit: c1, serial: 200, url: v2 });
  expect(st.changes.changed).toEqual([expect.objectContaining({ name: 'hostfs', to: expect.objectContaining({ digest: U1 }) })]);
  expect(head(root)).toBe(c1); // nothing made current
  const text = (await mosctl('update', '--download-only', '-r', root, v2)).stdout; // staging again replaces the record
  expect(text).toContain(`staged an update of ${root} (serial 200) from ${v2}; mosctl update --apply makes it current`);
  const status = await json('status', '--rfs', root);
  expect(status).toMatchObject({ verified: true, commit: c1, staged: { serial: 200, url: v2, basedOn: c1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  expect(status.pending).toBeUndefined();
  expect((await mosctl('status', '--rfs', root)).stdout).toMatch(/^STAGED {3}install [0-9a-f]{12} serial 200 from .*; mosctl update --apply makes it current$/m);

  // gc keeps what is staged (nothing else references U1 yet).
  const gc = await json('gc', '--rfs', root, '--keep', '0');
  expect(gc).toMatchObject({ keptStaged: status.staged.sha256 });
  expect(gc.removedImages).not.toContain(U1);

  // A stage changed on disk is verified again on apply, refused, and nothing changes.
  const good = readFileSync(stagedFile(root), 'utf8');
  const doc = JSON.parse(good);
  doc.signed.json = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(doc.signed.json, 'base64').toString('utf8')), serial: 900 })).toString('base64');
  writeFileSync(stagedFile(root), JSON.stringify(doc));
  const config = treeSnapshot(join(root, 'config', 'manifest.git'));
  const bad = await fails('update', '--apply', '-r', root);
  expect(bad).toEqual({ code: 3, stderr: expect.stringMatching(/install manifest [0-9a-f]{12}: verification failed/) });
  expect(treeSnapshot(join(root, 'config', 'manifest.git'))).toEqual(config);
  writeFileSync(stagedFile(root), good);

  const ap = await json('update', '--apply', '-r', root);
  expect(ap).toMatchObject({ changed: true, staged: false, previous: c1, serial: 200, url: v2, pending: { kind: 'update', previous: c1 } });
  expect(head(root)).toBe(ap.commit);
  expect(git(root, 'log', '-1', '--format=%s', 'master')).toMatch(/^System upgrade to [0-9a-f]{12} \(complete: 1\.0\.0\)$/);
  expect(JSON.parse(readFileSync(stagedFile(root), 'utf8')).applied).toEqual({ commit: ap.commit, at: expect.any(String) });
  const after = await json('status', '--rfs', root);
  expect(after).toMatchObject({ verified: true, commit: ap.commit, newestSerial: 200, pending: { kind: 'update' } });
  expect(after.staged).toBeUndefined();
  expect(after.targets.map((t: { digest: string }) => t.digest)).toEqual([U1]);

  // Applying again is a no-op that says so (a retry after a kill must not fail).
  expect((await mosctl('update', '--apply', '-r', root)).stdout).toBe(`the staged update (serial 200) is applied already: commit ${ap.commit.slice(0, 12)}; ${root} is at ${ap.commit.slice(0, 12)}\n`);
  expect(head(root)).toBe(ap.commit);
  // Nothing ever staged: exit 4. Usage mistakes are usage errors (exit 2) and change nothing.
  const fresh = newRoot();
  await mosctl('install', '--rfs', fresh, v1);
  expect(await fails('update', '--apply', '-r', fresh)).toEqual({ code: 4, stderr: expect.stringContaining(`nothing is staged on ${fresh}: mosctl update --download-only URL stages an update`) });
  expect((await fails('update', '--apply', '-r', root, v2)).code).toBe(2);
  expect((await fails('update', '--check', '--download-only', '-r', root, v2)).code).toBe(2);
  expect((await fails('update', '--download-only', '--no-activate', '-r', root, v2)).code).toBe(2);
  git(root, 'fsck', '--strict');
});

test('a stage made stale by a newer update is forgotten; one put back after that is refused on apply as a replay', async () => {
  const root = newRoot();
  const pub = (kind: 'hostfsonly' | 'fsonly', image: string, tag: string, serial: number) => publishYaml(w, installYaml(w, kind, { image }), `machine/stale:${tag}`, ['--serial', String(serial)]);
  await mosctl('install', '--rfs', root, await pub('hostfsonly', 'busybox-squashfs', 'v1', 10));
  await mosctl('update', '--download-only', '-r', root, await pub('hostfsonly', 'busyboxu1-squashfs', 'v2', 20));
  await mosctl('update', '-r', root, await pub('fsonly', 'busybox-squashfs', 'v3', 30));
  expect(existsSync(stagedFile(root))).toBe(false); // serial 20 can never apply after 30

  await mosctl('update', '--download-only', '-r', root, await pub('hostfsonly', 'busyboxu1-squashfs', 'v4', 40));
  const v4stage = readFileSync(stagedFile(root));
  await mosctl('update', '-r', root, await pub('fsonly', 'busyboxu1-squashfs', 'v5', 50));
  expect(existsSync(stagedFile(root))).toBe(false);
  // Put the stage back (as an attacker or an old backup would): still validly signed, but older.
  writeFileSync(stagedFile(root), v4stage);
  const c5 = head(root);
  expect(await fails('update', '--apply', '-r', root)).toEqual({ code: 3, stderr: expect.stringContaining('has serial 40, not newer than serial 50 this machine has applied: refused as a replay') });
  expect(head(root)).toBe(c5);
});

test('install records its source; update without a URL follows that tag; switch changes it', async () => {
  const root = newRoot();
  const stable = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/track:stable', ['--serial', '1000']);
  await mosctl('install', '--rfs', root, stable);
  expect((await json('status', '--rfs', root)).source).toEqual({ url: stable, since: expect.any(String) });
  expect((await mosctl('status', '--rfs', root)).stdout).toContain(`source   ${stable} (mosctl update without a URL fetches it)`);

  // Nothing new on the tag: up to date (and --check says so with its own exit code).
  expect((await mosctl('update', '-r', root)).stdout).toBe(`${root} is up to date (commit ${head(root).slice(0, 12)})\n`);
  expect((await runBin('mosctl', ['update', '--check', '-r', root], { env: w.env })).code).toBe(8);

  // A new release on the same tag: `update` alone finds and applies it.
  await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/track:stable', ['--serial', '2000']);
  const up = await json('update', '-r', root);
  expect(up).toMatchObject({ changed: true, url: stable, serial: 2000 });

  // switch: another reference, applied, and followed from now on.
  const edge = await publishYaml(w, installYaml(w, 'fsonly'), 'machine/track:edge', ['--serial', '3000']);
  const sw = (await mosctl('switch', '-r', root, edge)).stdout;
  expect(sw).toContain(`source of ${root}: ${edge} (mosctl update without a URL fetches it)`);
  expect(sw).toMatch(/^updated .*serial 3000:$/m);
  expect((await json('status', '--rfs', root)).source.url).toBe(edge);
  expect((await json('update', '-r', root)).changed).toBe(false);

  // An update from an explicit URL does not move the source.
  const other = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/track:hotfix', ['--serial', '4000']);
  await mosctl('update', '-r', root, other);
  expect((await json('status', '--rfs', root)).source.url).toBe(edge);

  // No source recorded (a root installed before sources were): a clear error, exit 4.
  rmSync(join(root, 'config', 'source.json'));
  expect(await fails('update', '-r', root)).toEqual({ code: 4, stderr: expect.stringContaining(`${root} has no recorded update source: give the URL (mosctl update URL), or record one with mosctl switch URL`) });
  // ... and the next update with a URL adopts it.
  await mosctl('update', '-r', root, other);
  expect((await json('status', '--rfs', root)).source.url).toBe(other);
});

test('mosb manifest publish carries a target health check into the signed manifest; a malformed one is refused before signing', async () => {
  const root = newRoot();
  const yaml = (health: string) => installYaml(w, 'containeronly').replace('    nsgroup: "c1"\n', `    nsgroup: "c1"\n    health: ${health}\n`);
  const url = await publishYaml(w, yaml('{command: [/bin/true], interval: 2, retries: 4}'), 'machine/health:1');
  await mosctl('install', '--rfs', root, url);
  const [sha] = git(root, 'ls-tree', '--name-only', 'master').split('\n').filter((f) => f.endsWith('.json') && f !== 'manifest.json');
  const signed = JSON.parse(git(root, 'show', `master:${sha}`));
  expect(signed.targets.find((t: { service_name: string }) => t.service_name === 'hostfstarget').health).toEqual({ command: ['/bin/true'], interval: 2, retries: 4 });

  const file = join(w.dirs.make('mos-e2e-yaml-'), 'manifest.yaml');
  writeFileSync(file, yaml('{tcp: 70000}'));
  const r = await runBin('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', w.registry.host, '--name', 'machine/health:bad', '--skip-bootkit', file], { env: w.env });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: expect.stringContaining('target hostfstarget: health.tcp must be a port 1-65535') });
  expect((await runBin('mosctl', ['update', '--check', '-r', root, `${w.registry.host}/machine/health:bad`], { env: w.env })).code).toBe(4); // nothing was pushed
});
