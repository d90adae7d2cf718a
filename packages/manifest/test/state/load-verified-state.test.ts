import { appendFileSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { HOST_POLICY, initState, loadInstallManifest, loadVerifiedState, NoStateError, systemForInstall, VerifyFailedError } from '@mos/manifest';
import { install, target } from '../helpers/fixtures';
import { gitCli, makeKeys, makeRoot, rmrf, signInstall, type TestKeys } from '../helpers/signed';

let keys: TestKeys;
let other: TestKeys;
let root: string;
const repoDir = () => join(root, 'config', 'manifest.git');

async function installSigned(tree: Record<string, unknown>, signer = keys) {
  const signed = signInstall(tree, signer);
  const system = systemForInstall({ sha256: signed.sha256, manifest: loadInstallManifest(signed.json).manifest }, HOST_POLICY);
  await initState({ configDir: join(root, 'config'), state: { system, installs: [signed] } });
  return signed;
}

const containerTarget = target({ service_name: 'web', service_type: 'container', nsgroup: 'web', network: { type: 'none' } });

beforeAll(async () => {
  [keys, other] = await Promise.all([makeKeys('test'), makeKeys('other')]);
});
afterAll(() => rmrf(keys?.dir, other?.dir));
beforeEach(() => {
  root = makeRoot(keys);
});
afterEach(() => rmrf(root));

describe('loadVerifiedState', () => {
  test('a committed manifest past its signed expires does not verify at boot (the clock is injectable)', async () => {
    await installSigned(install({ product: keys.product, targets: [target()], expires: '2030-01-01T00:00:00Z', serial: 3 }));
    await expect(loadVerifiedState({ root, checkTarget: () => undefined, now: new Date('2029-12-31T23:59:59Z') })).resolves.toMatchObject({ product: keys.product });
    await expect(loadVerifiedState({ root, checkTarget: () => undefined, now: new Date('2030-01-01T00:00:01Z') })).rejects.toMatchObject({
      code: 'ERR_MANIFEST_VERIFY_FAILED',
      check: 'expired',
      message: expect.stringMatching(/expired at 2030-01-01T00:00:00Z/),
    });
  });

  test('verifies a committed install: product, targets in order, the CA found under the root', async () => {
    const signed = await installSigned(install({ product: keys.product, targets: [target(), containerTarget] }));
    const checked: string[] = [];
    const state = await loadVerifiedState({ root, checkTarget: (t) => void checked.push(`${t.name}@${t.target.digest.slice(7, 11)}`) });
    expect(state.product).toBe(keys.product);
    expect(state.caPath).toBe(join(root, 'factory', 'secure', 'manifestCA.pem'));
    expect(state.targets.map((t) => [t.name, t.install])).toEqual([
      ['hostfs', signed.sha256],
      ['web', signed.sha256],
    ]);
    expect(state.system.uidmaps).toEqual([{ 'idmap-name': 'web', hostid: 100000 }]);
    expect(checked).toEqual(['hostfs@aaaa', 'web@aaaa']);
    expect(state.installs.get(signed.sha256)?.signer).toBe(`manifest PRODUCT:${keys.product}`);
  });

  test('a failing target check fails the load with the check\'s error', async () => {
    await installSigned(install({ product: keys.product }));
    const missing = Object.assign(new Error('image not in store'), { code: 'ERR_OCI_NOT_FOUND' });
    await expect(loadVerifiedState({ root, checkTarget: () => Promise.reject(missing) })).rejects.toBe(missing);
  });

  test('an uncommitted edit of SHA.json is ignored', async () => {
    const signed = await installSigned(install({ product: keys.product }));
    appendFileSync(join(repoDir(), `${signed.sha256}.json`), ' $');
    await expect(loadVerifiedState({ root })).resolves.toMatchObject({ product: keys.product });
  });

  test('a committed edit of SHA.json fails (as rfs.bats "corrupted manifest" does it)', async () => {
    const signed = await installSigned(install({ product: keys.product }));
    const file = join(repoDir(), `${signed.sha256}.json`);
    writeFileSync(file, readFileSync(file, 'utf8').split('\n').map((l) => `${l} $`).join('\n'));
    gitCli(repoDir(), 'commit', '-qam', 'corrupt');
    await expect(loadVerifiedState({ root })).rejects.toMatchObject({ code: 'ERR_MANIFEST_STATE_CORRUPT' });
  });

  test('a committed edit that renames the files to the new hash still fails: the signature', async () => {
    const signed = await installSigned(install({ product: keys.product }));
    const forged = Buffer.from(signed.json.toString().replace('"1.0.0"', '"6.6.6"'));
    const sha = createHash('sha256').update(forged).digest('hex');
    writeFileSync(join(repoDir(), `${signed.sha256}.json`), forged);
    for (const ext of ['.json', '.json.signed', '.pem']) renameSync(join(repoDir(), signed.sha256 + ext), join(repoDir(), sha + ext));
    writeFileSync(join(repoDir(), 'manifest.json'), readFileSync(join(repoDir(), 'manifest.json'), 'utf8').replaceAll(signed.sha256, sha));
    gitCli(repoDir(), 'add', '-A');
    gitCli(repoDir(), 'commit', '-qm', 'forge');
    await expect(loadVerifiedState({ root })).rejects.toMatchObject({ code: 'ERR_MANIFEST_VERIFY_FAILED', check: 'bad-signature' });
  });

  test('a manifest signed under another CA fails with unknown-issuer', async () => {
    await installSigned(install({ product: other.product }), other);
    const err = await loadVerifiedState({ root }).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyFailedError);
    expect(err.check).toBe('unknown-issuer');
  });

  test('an explicit CA wins over the one under the root', async () => {
    await installSigned(install({ product: other.product }), other);
    await expect(loadVerifiedState({ root, ca: other.caPath })).resolves.toMatchObject({ product: other.product, caPath: other.caPath });
  });

  test("a manifest for a product its certificate is not bound to fails with product-mismatch", async () => {
    await installSigned(install({ product: 'some-other-product' }));
    await expect(loadVerifiedState({ root })).rejects.toMatchObject({ code: 'ERR_MANIFEST_VERIFY_FAILED', check: 'product-mismatch' });
  });

  test('nothing installed', async () => {
    await expect(loadVerifiedState({ root })).rejects.toBeInstanceOf(NoStateError);
  });
});
