import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk, treeSnapshot } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { waitFor } from './helpers/wait';

// Issue 10 §1, §3, §5 (check, stage and apply) and §8: an update restarts what changed and nothing else, a
// rollback makes the previous state current as a new commit and restarts what changed back,
// `update --check` writes nothing; all with real lxc containers, a real registry and real mounts.
let w: World;
let root: string;
const booted: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(async () => {
  for (const r of booted) await runBin('mosctl', ['supervise', '--stop', '--rfs', r]);
  for (const r of booted) expect(cleanupMounts(r)).toEqual([]);
  await stopWorld(w);
});
beforeEach(() => {
  root = makeRoot(w);
});

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const json = async (...args: string[]) => JSON.parse((await mosctl(...args, '--json')).stdout);
const git = (...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' });
const head = () => git('rev-parse', 'master').trim();
const digestOf = (tag: string) =>
  JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8')).manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag).digest as string;
const BUSYBOX = () => digestOf('busybox-squashfs');
const U1 = () => digestOf('busyboxu1-squashfs');

/** A system of hostfs and two containers (network none): `web` runs `webImage`, `other` busybox. */
function system(webImage: string, extra = ''): string {
  const t = (name: string, type: string, nsgroup: string, image: string) =>
    `  - {service_name: ${name}, source: "oci:${w.zothub}:${image}", version: "${image}", service_type: ${type}, nsgroup: "${nsgroup}", network: {type: none}}\n`;
  return `version: 1\nproduct: ${w.product}\nupdate_type: complete\ntargets:\n` + t('hostfs', 'hostfs', '', 'busybox-squashfs') + t('web', 'container', 'web', webImage) + t('other', 'container', 'other', 'busybox-squashfs') + extra;
}

type Svc = { name: string; state: string; pid: number; digest: string; restarts: number };
const services = async (): Promise<Record<string, Svc>> => Object.fromEntries((await json('services', '--rfs', root)).services.map((s: Svc) => [s.name, s]));
const running = (names: string[]) =>
  waitFor(`${names.join(', ')} running`, async () => {
    const s = await services();
    return names.every((n) => s[n]?.state === 'running') ? s : undefined;
  }) as Promise<Record<string, Svc>>;

async function bootRoot(): Promise<Record<string, Svc>> {
  booted.push(root);
  await mosctl('boot', '--rfs', root);
  return running(['web', 'other']);
}

test('update restarts only the changed service; rollback brings it back as a new commit; the rolled-back release stays a replay', async () => {
  const v1 = await publishYaml(w, system('busybox-squashfs'), 'machine/life:v1', ['--serial', '100']);
  const v2 = await publishYaml(w, system('busyboxu1-squashfs'), 'machine/life:v2', ['--serial', '200']);
  await mosctl('install', '--rfs', root, v1);
  const c1 = head();
  const before = await bootRoot();
  expect(before.web.digest).toBe(BUSYBOX());

  // --check: the plan, exit 0, nothing written (state and store untouched).
  const store = treeSnapshot(join(root, 'atomfs-store'));
  const check = await runBin('mosctl', ['update', '--check', '-r', root, v2], { env: w.env });
  expect({ code: check.code, out: check.stdout }).toEqual({ code: 0, out: expect.stringContaining(`~ web busybox-squashfs (${BUSYBOX().slice(7, 19)}) -> busyboxu1-squashfs (${U1().slice(7, 19)})`) });
  expect(check.stdout).not.toMatch(/other|hostfs/);
  expect(head()).toBe(c1);
  expect(treeSnapshot(join(root, 'atomfs-store'))).toEqual(store);

  const up = await json('update', '-r', root, v2);
  expect(up.changes).toMatchObject({ added: [], removed: [], unchanged: ['hostfs', 'other'], changed: [{ name: 'web', to: { digest: U1() } }] });
  expect(up.activation).toMatchObject({ ran: true, restarted: ['web'], started: [], stopped: [], notRunning: [] });
  const after = await running(['web', 'other']);
  expect(after.web).toMatchObject({ digest: U1(), restarts: 0 });
  expect(after.web.pid).not.toBe(before.web.pid);
  expect(after.other).toEqual(before.other); // not touched: same pid, same since
  const c2 = head();

  // The same release again: up to date (exit 8 for --check, 0 for update).
  const again = await runBin('mosctl', ['update', '--check', '-r', root, v2], { env: w.env });
  expect({ code: again.code, out: again.stdout }).toEqual({ code: 8, out: expect.stringMatching(/is up to date/) });
  expect(await json('status', '--rfs', root)).toMatchObject({ newestSerial: 200, rollbackTarget: { commit: c1 } });

  const back = await json('rollback', '--rfs', root);
  expect(back).toMatchObject({ changed: true, target: c1, previous: c2, changes: { changed: [{ name: 'web', to: { digest: BUSYBOX() } }] }, activation: { restarted: ['web'], notRunning: [] } });
  expect(git('log', '-1', '--format=%s', 'master').trim()).toBe(`Rollback to ${c1.slice(0, 12)} (by hand)`);
  expect(git('rev-list', '--count', 'master').trim()).toBe('3'); // a new commit, history kept
  const rolled = await running(['web', 'other']);
  expect(rolled.web.digest).toBe(BUSYBOX());
  expect(rolled.other).toEqual(before.other);
  const st = await json('status', '--rfs', root);
  expect(st).toMatchObject({ verified: true, newestSerial: 200, lastRollback: { commit: head() }, rollbackTarget: { commit: c2 } });
  execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), 'fsck', '--strict']);

  // Rolling back did not lower the newest serial: v2 is now a replay, and --to the current state is a no-op.
  const replay = await runBin('mosctl', ['update', '-r', root, v2], { env: w.env });
  expect({ code: replay.code, err: replay.stderr }).toEqual({ code: 3, err: expect.stringMatching(/serial 200, not newer than serial 200/) });
  const noop = await runBin('mosctl', ['rollback', '--rfs', root, '--to', c1.slice(0, 8)], { env: w.env });
  expect({ code: noop.code, out: noop.stdout }).toEqual({ code: 0, out: expect.stringMatching(/already runs the state of .*nothing to roll back/) });
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('--no-activate commits and leaves services alone; an added and a removed service are started and stopped', async () => {
  const extra = `  - {service_name: added, source: "oci:${w.zothub}:busybox-squashfs", version: "1", service_type: container, nsgroup: "added", network: {type: none}}\n`;
  await mosctl('install', '--rfs', root, await publishYaml(w, system('busybox-squashfs'), 'machine/noact:v1'));
  const before = await bootRoot();
  const quiet = await json('update', '-r', root, await publishYaml(w, system('busyboxu1-squashfs'), 'machine/noact:v2'), '--no-activate');
  expect(quiet.changed).toBe(true);
  expect(quiet.activation).toBeUndefined();
  expect((await services()).web).toEqual(before.web);

  // The next update activates everything the last two changed: web, and the added service.
  const withAdded = system('busyboxu1-squashfs', extra);
  const r = await json('update', '-r', root, await publishYaml(w, withAdded, 'machine/noact:v3'));
  expect(r.changes.added.map((t: { name: string }) => t.name)).toEqual(['added']);
  const s = await running(['web', 'other', 'added']);
  expect(s.web.digest).toBe(U1()); // boot re-syncs the whole state, so web follows too
  expect(s.other).toEqual(before.other);

  const removed = await json('update', '-r', root, await publishYaml(w, system('busyboxu1-squashfs'), 'machine/noact:v4'));
  expect(removed).toMatchObject({ changes: { removed: [{ name: 'added' }] }, activation: { stopped: ['added'] } });
  expect(Object.keys(await services()).sort()).toEqual(['other', 'web']);
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('a staged update touches no running service; --apply restarts only what changed', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, system('busybox-squashfs'), 'machine/stage:v1'));
  const c1 = head();
  const before = await bootRoot();
  const staged = await json('update', '--download-only', '-r', root, await publishYaml(w, system('busyboxu1-squashfs'), 'machine/stage:v2'));
  expect(staged).toMatchObject({ staged: true, commit: c1, changes: { changed: [{ name: 'web', to: { digest: U1() } }] } });
  expect(staged.activation).toBeUndefined();
  expect(head()).toBe(c1);
  expect(await services()).toEqual(before); // same pids, same since: nothing was touched

  const applied = await json('update', '--apply', '-r', root);
  expect(applied).toMatchObject({ changed: true, previous: c1, activation: { ran: true, restarted: ['web'], started: [], stopped: [], notRunning: [] } });
  const after = await running(['web', 'other']);
  expect(after.web.digest).toBe(U1());
  expect(after.web.pid).not.toBe(before.web.pid);
  expect(after.other).toEqual(before.other);
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('a hostfs-only change waits for the next boot; no supervisor: nothing is touched', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/hf:v1'));
  const r = await runOk('mosctl', ['update', '-r', root, await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/hf:v2')], { env: w.env });
  expect(r.stdout).toMatch(/~ hostfs .* takes effect at the next boot\nservices: not touched \(only hostfs changed, which take effect at the next boot\)/);
  const back = await runOk('mosctl', ['rollback', '-r', root], { env: w.env });
  expect(back.stdout).toMatch(/rolled back .*\n  ~ hostfs .* takes effect at the next boot/);
  expect(cleanupMounts(root)).toEqual([]);
});

test('rollback refuses a state whose images gc collected, naming them; bad --to is a usage error; one state has nothing to go back to', async () => {
  const only = await runBin('mosctl', ['rollback', '-r', root], { env: w.env });
  expect(only.code).toBe(4); // nothing installed
  await mosctl('install', '--rfs', root, await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/gone:v1'));
  const c1 = head();
  const first = await runBin('mosctl', ['rollback', '-r', root], { env: w.env });
  expect({ code: first.code, err: first.stderr }).toEqual({ code: 4, err: expect.stringMatching(/no earlier state to roll back to/) });
  await mosctl('update', '-r', root, await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/gone:v2'));
  await mosctl('confirm', '--rfs', root); // else gc keeps what the pending state may roll back to
  await mosctl('gc', '--rfs', root, '--keep', '0');
  const c2 = head();
  const r = await runBin('mosctl', ['rollback', '-r', root], { env: w.env });
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 4, err: expect.stringMatching(new RegExp(`cannot roll back to ${c1.slice(0, 12)}: its images are gone from the store .*hostfs \\(sha256:`)) });
  expect(head()).toBe(c2);
  for (const [to, code] of [['xyz', 2], ['dead', 4]] as const) expect((await runBin('mosctl', ['rollback', '-r', root, '--to', to], { env: w.env })).code).toBe(code);
  expect(head()).toBe(c2);
  expect(cleanupMounts(root)).toEqual([]);
});
