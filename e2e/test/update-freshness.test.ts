import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk } from '@mos/test-utils';
import { handJson, handPublish, opensslSign, skopeoPush } from './helpers/hand-made';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Issue 10 §2, freshness: a signed monotonic `serial` stops replays of older releases, a signed
// `expires` stops a machine being frozen on an old one. Refusals leave the state as it was.
let w: World;
let root: string;
let cert: Buffer;

beforeAll(async () => {
  w = await makeWorld();
  cert = readFileSync(join(w.keysets, 'e2e', 'manifest', 'default', 'cert.pem'));
  skopeoPush(w, 'busybox-squashfs');
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  expect(cleanupMounts(root)).toEqual([]);
});

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const git = (...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' });
const head = () => git('rev-parse', 'master').trim();
const newestSerial = () => JSON.parse(git('show', 'master:manifest.json')).newest_serial;
const busybox = (tag: string, serial: number) => publishYaml(w, installYaml(w, 'hostfsonly'), `machine/fresh:${tag}`, ['--serial', String(serial)]);
const busyboxu1 = (tag: string, serial: number) => publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), `machine/fresh:${tag}`, ['--serial', String(serial)]);
/** A hand-made install.json (openssl-signed, as another tool would make it), published. */
const hand = (tag: string, over: { serial?: number; expires?: string }) => {
  const json = handJson(w, over);
  return handPublish(w, { json, signature: opensslSign(w, json), cert, tag });
};

async function refusedUpdate(url: string, message: RegExp): Promise<void> {
  const before = head();
  const r = await runBin('mosctl', ['update', '-r', root, url], { env: w.env });
  expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 3, stderr: expect.stringMatching(message) });
  expect(head()).toBe(before);
}

test('an older validly signed release is refused as a replay, also one this machine applied before', async () => {
  const old = await busybox('r100', 100);
  await mosctl('install', '--rfs', root, old);
  expect(newestSerial()).toBe(100);
  await mosctl('update', '-r', root, await busyboxu1('r200', 200));
  expect(newestSerial()).toBe(200);
  await refusedUpdate(old, /serial 100, not newer than serial 200 this machine has applied: refused as a replay/);
  await refusedUpdate(await busybox('r150', 150), /serial 150, not newer than serial 200/);
});

test('the same serial with other content is refused; the very same manifest again changes nothing', async () => {
  const a = await busybox('s300a', 300);
  await mosctl('install', '--rfs', root, a);
  const before = head();
  await refusedUpdate(await busyboxu1('s300b', 300), /serial 300, not newer than serial 300/);
  const r = await mosctl('update', '-r', root, a, '--json');
  expect(JSON.parse(r.stdout)).toMatchObject({ changed: false, commit: before });
});

test('a hand-made manifest without serial counts as 0: it installs, then cannot undo an update', async () => {
  const unserialed = await hand('noserial', {});
  await mosctl('install', '--rfs', root, unserialed);
  expect(newestSerial()).toBeUndefined();
  await mosctl('update', '-r', root, await busyboxu1('n1', 1));
  await refusedUpdate(unserialed, /serial 0, not newer than serial 1/);
});

test('a signed expires: past it, install and update refuse the manifest; before it, it installs', async () => {
  const expired = await hand('expired', { serial: 10, expires: '2020-01-01T00:00:00Z' });
  const r = await runBin('mosctl', ['install', '--rfs', root, expired], { env: w.env });
  expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 3, stderr: expect.stringMatching(/expired at 2020-01-01T00:00:00Z .*publish a new one/) });
  expect(existsSync(join(root, 'config', 'manifest.git'))).toBe(false);

  await mosctl('install', '--rfs', root, await hand('later', { serial: 11, expires: '2099-01-01T00:00:00Z' }));
  expect(newestSerial()).toBe(11);
  await refusedUpdate(await hand('expired2', { serial: 12, expires: '2021-06-30T12:00:00+02:00' }), /expired at 2021-06-30T12:00:00\+02:00/);
});

test('mosb publish: --serial and --expires are signed into install.json; bad values are usage errors', async () => {
  const url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/fresh:pub', ['--serial', '4242', '--expires', '2099-12-31T23:59:59Z']);
  await mosctl('install', '--rfs', root, url);
  const sha = git('ls-tree', '--name-only', 'master').split('\n').find((f) => /^[0-9a-f]{64}\.json$/.test(f))!;
  expect(JSON.parse(git('show', `master:${sha}`))).toMatchObject({ serial: 4242, expires: '2099-12-31T23:59:59Z' });

  const file = join(w.dirs.make('mos-e2e-yaml-'), 'manifest.yaml');
  writeFileSync(file, installYaml(w, 'hostfsonly'));
  const publish = (...extra: string[]) =>
    runBin('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', w.registry.host, '--name', 'machine/fresh:bad', '--skip-bootkit', ...extra, file], { env: w.env });
  for (const [extra, why] of [
    [['--serial=-1'], /--serial "-1" must be a whole number/],
    [['--serial', '1e3'], /--serial "1e3" must be a whole number/],
    [['--expires', 'tomorrow'], /--expires "tomorrow" must be an RFC 3339 time/],
    [['--expires', '2020-01-01T00:00:00Z'], /is not in the future/],
  ] as const) {
    const r = await publish(...extra);
    expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(why) });
  }
});
