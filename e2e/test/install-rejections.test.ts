import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin, runOk, treeSnapshot } from '@mos/test-utils';
import { fixtureImage, handJson, handPublish, opensslSign, skopeoPush } from './helpers/hand-made';
import { makeRoot, makeWorld, stopWorld, type World } from './helpers/world';

// Hand-made inputs (install.bats) and every rejection of issue 5: each must leave the root as it was.
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

const install = (url: string, ...extra: string[]) => runBin('mosctl', ['install', '--rfs', root, ...extra, url], { env: w.env });

/**
 * The root's tree, but for the empty flock target `config/manifest.lock`: it is created by the
 * first command that locks and is never removed (deleting a lock file other processes may hold
 * or wait on would break the exclusion), as in the original.
 */
function snapshot(): Record<string, string> {
  const { ['config/manifest.lock']: lock, ...rest } = treeSnapshot(root);
  if (lock !== undefined) expect(lock).toBe(`file:${createHash('sha256').digest('hex')}`);
  return rest;
}

/** Runs install expecting a failure; asserts the exit status, the message and that nothing changed. */
async function rejected(url: string, status: number, message: RegExp) {
  const before = snapshot();
  const r = await install(url);
  expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: status, stderr: expect.stringMatching(message) });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(snapshot()).toEqual(before);
  expect(existsSync(join(root, 'config', 'manifest.git'))).toBe(false);
}

test('a hand-made install.json, openssl signature, skopeo-pushed image and HTTP-pushed artifacts install', async () => {
  const json = handJson(w);
  const url = await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'simple' });
  await runOk('mosctl', ['install', '--rfs', root, url], { env: w.env });
  expect(existsSync(join(root, 'atomfs-store', 'mos', 'index.json'))).toBe(true);
  const sha = createHash('sha256').update(json).digest('hex');
  const tree = execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), 'ls-tree', '--name-only', 'master'], { encoding: 'utf8' });
  expect(tree.trim().split('\n').sort()).toEqual([`${sha}.json`, `${sha}.json.signed`, `${sha}.pem`, 'manifest.json']);
  expect(execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), 'show', `master:${sha}.json`])).toEqual(json);
});

test('bad signature ("fooled ya")', async () => {
  const json = handJson(w);
  await rejected(await handPublish(w, { json, signature: Buffer.from('fooled ya\n'), cert, tag: 'badsig' }), 3, /bad-signature/);
});

test('a certificate from another CA', async () => {
  const dir = w.dirs.make('mos-e2e-otherca-');
  await runOk('trust', ['keyset', 'add', 'other', '--keysets-dir', dir]);
  const json = handJson(w);
  const sig = execFileSync('openssl', ['dgst', '-sha256', '-sign', join(dir, 'other', 'manifest', 'default', 'privkey.pem')], { input: json });
  const otherCert = readFileSync(join(dir, 'other', 'manifest', 'default', 'cert.pem'));
  await rejected(await handPublish(w, { json, signature: sig, cert: otherCert, tag: 'otherca' }), 3, /unknown-issuer/);
});

test('a product the certificate is not bound to', async () => {
  const json = handJson(w, { product: 'de6c82c5-2e01-4c92-949b-a6545d30fc06' });
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'product' }), 3, /product-mismatch/);
});

test('version 2 (with no targets, as install.bats has it)', async () => {
  const json = handJson(w, { version: 2, targets: [] });
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'v2' }), 3, /version 2/);
});

test('a digest absent from the registry (sha256 of the real hex)', async () => {
  const real = fixtureImage(w, 'busybox-squashfs').digest.slice(7);
  const json = handJson(w, { digest: `sha256:${createHash('sha256').update(real).digest('hex')}` });
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'nodigest' }), 3, /cannot import image/);
});

test('a size that does not match the image', async () => {
  const json = handJson(w, { size: fixtureImage(w, 'busybox-squashfs').size + 1 });
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'size' }), 3, /size|bytes/);
});

test.each([['../../etc'], ['a/b'], ['-rf'], ['x\u0000y']])('a hostile target name %j', async (name) => {
  const json = handJson(w, { name });
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'hostile' }), 3, /not a safe name/);
});

test('a layer blob the registry corrupted: the import is refused and nothing is stored', async () => {
  // Build an image of its own so corrupting its blob does not affect the other tests.
  const src = w.dirs.make('mos-e2e-corrupt-');
  writeFileSync(join(src, 'file'), 'x'.repeat(100000));
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'corrupt-me', src]);
  const img = skopeoPush(w, 'corrupt-me');
  const manifest = JSON.parse(readFileSync(join(w.zothub, 'blobs', 'sha256', img.digest.slice(7)), 'utf8'));
  const layerHex = manifest.layers[0].digest.slice(7);
  const blobs = join(w.registry.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', layerHex.slice(0, 2), layerHex, 'data');
  const bytes = readFileSync(blobs);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(blobs, bytes);
  const json = handJson(w, {}, 'corrupt-me');
  await rejected(await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'corrupt' }), 3, /cannot import image|digest/);
  const stored = join(root, 'atomfs-store', 'mos', 'blobs', 'sha256');
  expect(existsSync(stored) ? readdirSync(stored) : []).not.toContain(layerHex);
});
