import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, cleanupMounts, runBin, runOk } from '@mos/test-utils';
import { makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { waitFor } from './helpers/wait';

// Issue 10 §4: after an update the new state is pending until its container services have run
// healthy for the settle time (then confirmed by the supervisor's watch), or it is rolled back
// by itself at the deadline, saying which service and why; --no-auto-rollback and confirm by
// hand; gc keeps what a pending state may roll back to. Real lxc, real registry, real mounts.
let w: World;
let root: string;
const booted: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
  // A service that starts, says so and exits 3: it never proves itself.
  const tree = busyboxTree(w.dirs.make('mos-e2e-crash-'));
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'crash-squashfs', '--entrypoint', '/bin/sh', '--cmd=-c', '--cmd', 'echo web is crashing; exit 3', tree]);
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
const status = () => json('status', '--rfs', root);
/**
 * An update to a service that crashes: committed, on trial. Whether `web` is seen running at
 * the moment activation looks (exit 0) or already down (exit 1, notRunning) is a race by nature.
 */
async function failingUpdate(...args: string[]) {
  const r = await runBin('mosctl', ['update', '-r', root, ...args, '--json'], { env: w.env });
  const out = JSON.parse(r.stdout);
  expect({ code: r.code, notRunning: out.activation.notRunning }).toEqual(r.code === 0 ? { code: 0, notRunning: [] } : { code: 1, notRunning: ['web'] });
  return out;
}
const git = (...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' });
const head = () => git('rev-parse', 'master').trim();
const digestOf = (tag: string) =>
  JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8')).manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag).digest as string;

/** hostfs and two containers (network none): `web` runs `webImage`, `other` busybox. */
function system(webImage: string): string {
  const t = (name: string, type: string, image: string) =>
    `  - {service_name: ${name}, source: "oci:${w.zothub}:${image}", version: "${image}", service_type: ${type}, nsgroup: "${type === 'hostfs' ? '' : name}", network: {type: none}}\n`;
  return `version: 1\nproduct: ${w.product}\nupdate_type: complete\ntargets:\n` + t('hostfs', 'hostfs', 'busybox-squashfs') + t('web', 'container', webImage) + t('other', 'container', 'busybox-squashfs');
}

type Svc = { name: string; state: string; pid: number; digest: string };
const services = async (): Promise<Record<string, Svc>> => Object.fromEntries((await json('services', '--rfs', root)).services.map((s: Svc) => [s.name, s]));

async function installAndBoot(tag: string): Promise<{ c1: string; before: Record<string, Svc> }> {
  await mosctl('install', '--rfs', root, await publishYaml(w, system('busybox-squashfs'), `machine/${tag}:v1`, ['--serial', '100']));
  booted.push(root);
  await mosctl('boot', '--rfs', root);
  const before = await waitFor('web and other running', async () => {
    const s = await services();
    return s.web?.state === 'running' && s.other?.state === 'running' ? s : undefined;
  });
  return { c1: head(), before };
}

test('a service that never proves itself: the supervisor rolls back by itself at the deadline, naming it; the state it returns to is confirmed', async () => {
  const { c1, before } = await installAndBoot('crashy');
  const bad = await publishYaml(w, system('crash-squashfs'), 'machine/crashy:v2', ['--serial', '200']);
  const up = await failingUpdate(bad, '--confirm-timeout', '6s', '--settle', '1');
  const c2 = up.commit;
  expect(up.pending).toMatchObject({ commit: c2, previous: c1, kind: 'update', timeoutSeconds: 6, settleSeconds: 1, autoRollback: true, watch: true, nextBoot: [] });
  const st = await status();
  expect(st.pending).toMatchObject({ commit: c2, deadline: expect.any(String) });
  expect(Date.parse(st.pending.deadline) - Date.parse(st.pending.trialStarted)).toBe(6000);

  const after = await waitFor('the automatic rollback', async () => ((await status()).lastAutoRollback ? status() : undefined), 90_000);
  const c3 = head();
  expect(git('log', '-1', '--format=%s', 'master').trim()).toMatch(new RegExp(`^Rollback to ${c1.slice(0, 12)} \\(automatic: not confirmed within 6s: web `));
  expect(after.lastAutoRollback).toMatchObject({ from: c2, to: c1, commit: c3, reason: expect.stringMatching(/^not confirmed within 6s: web (failed|not running)/) });
  const culprit = after.lastAutoRollback.services;
  expect(culprit.map((c: { name: string }) => c.name)).toEqual(['web']); // `other` was fine
  expect(culprit[0].lastExit).toMatchObject({ code: 3 });
  expect(culprit[0].logTail).toContain('web is crashing');
  expect(after).toMatchObject({ verified: true, newestSerial: 200, lastRollback: { commit: c3 } });

  // Back on the first image; `other` was never touched. The rolled-back state is itself on
  // trial without auto-rollback, and its healthy services confirm it.
  const back = await waitFor('web back on its first image', async () => {
    const s = await services();
    return s.web?.state === 'running' && s.web.digest === digestOf('busybox-squashfs') ? s : undefined;
  });
  expect(back.other).toEqual(before.other);
  const confirmed = await waitFor('the rolled-back state confirmed', async () => {
    const s = await status();
    return s.confirmed?.commit === c3 ? s : undefined;
  });
  expect(confirmed.pending).toBeUndefined();
  expect(confirmed.confirmed.by).toBe('auto');
  const text = (await mosctl('status', '--rfs', root)).stdout;
  expect(text).toMatch(/last rollback .*automatic: not confirmed within 6s: web/);
  expect(text).toMatch(/\n {2}web: .*last exit 3 .*\n( {4}\| .*\n)* {4}\| web is crashing\n/);
  execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), 'fsck', '--strict']);
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('a good update is confirmed after the settle time; then gc no longer keeps the state before it', async () => {
  await installAndBoot('good');
  const up = await json('update', '-r', root, await publishYaml(w, system('busyboxu1-squashfs'), 'machine/good:v2', ['--serial', '200']), '--settle', '8');
  const st = await waitFor('the update confirmed', async () => {
    const s = await status();
    return s.confirmed?.commit === up.commit ? s : undefined;
  });
  expect(st.pending).toBeUndefined();
  expect(st.confirmed.by).toBe('auto');
  expect(st.lastAutoRollback).toBeUndefined();
  // It stayed pending for at least the settle time after web came up.
  expect(Date.parse(st.confirmed.at) - Date.parse(up.pending.since)).toBeGreaterThanOrEqual(8000);
  expect((await json('gc', '--rfs', root, '--keep', '0', '--dry-run')).keptStates).toEqual([up.commit]);
  expect(head()).toBe(up.commit);
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('--no-auto-rollback: past the deadline the state stays pending and status says so; mosctl confirm keeps it', async () => {
  await installAndBoot('manual');
  const up = await failingUpdate(await publishYaml(w, system('crash-squashfs'), 'machine/manual:v2', ['--serial', '200']), '--confirm-timeout', '2s', '--no-auto-rollback');
  const overdue = await waitFor('the deadline passed', async () => {
    const s = await status();
    return s.pending?.overdue ? s : undefined;
  });
  expect(overdue.pending).toMatchObject({ commit: up.commit, autoRollback: false, waiting: expect.stringMatching(/^not confirmed within 2s: web/) });
  // The text view says the same at any moment web is down (a crash loop is briefly "running" at times).
  await waitFor('status text saying overdue', async () => /PENDING {2}update since .* \(no auto-rollback\): not confirmed within 2s: web/.test((await mosctl('status', '--rfs', root)).stdout));
  expect(head()).toBe(up.commit);
  const c = await runOk('mosctl', ['confirm', '--rfs', root], { env: w.env });
  expect(c.stdout).toMatch(new RegExp(`^confirmed ${up.commit.slice(0, 12)}`));
  expect(await status()).toMatchObject({ confirmed: { commit: up.commit, by: 'hand' } });
  expect((await status()).pending).toBeUndefined();
  expect((await runOk('mosctl', ['confirm', '--rfs', root], { env: w.env })).stdout).toMatch(/nothing is pending/);
  expect(head()).toBe(up.commit);
  await mosctl('supervise', '--stop', '--rfs', root);
});

test('with no services running the trial waits for mosctl boot, and gc keeps the state it could roll back to; --no-activate is not watched; bad durations are usage errors', async () => {
  await mosctl('install', '--rfs', root, await publishYaml(w, system('busybox-squashfs'), 'machine/idle:v1', ['--serial', '100']));
  const c1 = head();
  const v2 = await publishYaml(w, system('busyboxu1-squashfs'), 'machine/idle:v2', ['--serial', '200']);
  const bad = await runBin('mosctl', ['update', '-r', root, v2, '--confirm-timeout', 'soon'], { env: w.env });
  expect({ code: bad.code, err: bad.stderr }).toEqual({ code: 2, err: expect.stringMatching(/--confirm-timeout "soon" is not a duration/) });
  await mosctl('update', '-r', root, v2);
  const st = await status();
  expect(st.pending).toMatchObject({ waiting: expect.stringMatching(/mosctl boot/), overdue: false });
  expect(st.pending.deadline).toBeUndefined();
  // Nothing watches here, so it stays pending whatever the timing: gc keeps the rollback target.
  expect((await json('gc', '--rfs', root, '--keep', '0', '--dry-run')).keptStates).toEqual([head(), c1]);
  const v3 = await publishYaml(w, system('busybox-squashfs'), 'machine/idle:v3', ['--serial', '300']);
  const quiet = await json('update', '-r', root, v3, '--no-activate');
  expect(quiet.pending).toMatchObject({ watch: false });
  expect((await status()).pending.waiting).toMatch(/not watched/);
  expect(cleanupMounts(root)).toEqual([]);
});
