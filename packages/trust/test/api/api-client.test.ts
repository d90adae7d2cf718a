import { readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addApiClient, addKeyset, apiRoleOf, listApiClients, parseCertificates, roleAtLeast, verifyChain, type Cert } from '@mos/trust';
import { codeAndCheck, trustErrorOf, trustErrorOfSync } from '../helpers/errors';
import { openssl, opensslVerify } from '../helpers/openssl';
import { runTrust } from '../helpers/cli';
import { tempDirs } from '../helpers/tmp';

// API client certificates (issue 11 §1): issued under the keyset's api-ca with the role in the
// OU, checked with openssl; the role read back from certificates ours and openssl's.
const tmp = tempDirs();
const KS = 'api_keys';
let dir: string;
let apiCa: string;

beforeAll(async () => {
  dir = tmp();
  await addKeyset({ name: KS, dir });
  apiCa = join(dir, KS, 'api-ca', 'cert.pem');
});

const certOf = (path: string): Cert => parseCertificates(readFileSync(path), path)[0];
const anchorsOf = (ca: string) => ({ roots: parseCertificates(readFileSync(ca), ca), source: ca });

test('keyset add makes an api-ca: a CA certificate openssl accepts as one', () => {
  expect(openssl(['x509', '-in', apiCa, '-noout', '-subject', '-nameopt', 'RFC2253'])).toMatch(/^subject=OU=Project Machine Project api_keys,CN=API client rootCA$/m);
  expect(openssl(['x509', '-in', apiCa, '-noout', '-ext', 'basicConstraints'])).toMatch(/CA:TRUE/);
  expect(opensslVerify(apiCa, apiCa)).toEqual({ ok: true });
});

test('a client certificate: CN the name, OU the role, clientAuth; openssl verifies it for TLS clients under api-ca only', async () => {
  const now = new Date();
  const c = await addApiClient({ keyset: KS, role: 'operator', name: 'ci-bot', dir, now });
  const cert = join(c.dir, 'cert.pem');
  expect(c).toMatchObject({ name: 'ci-bot', role: 'operator', dir: join(dir, KS, 'api-clients', 'ci-bot') });
  expect(statSync(join(c.dir, 'privkey.pem')).mode & 0o777).toBe(0o600);
  expect(openssl(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253'])).toBe('subject=OU=operator,CN=ci-bot\n');
  expect(openssl(['x509', '-in', cert, '-noout', '-ext', 'extendedKeyUsage'])).toMatch(/TLS Web Client Authentication/);
  expect(opensslVerify(apiCa, cert, undefined, ['-purpose', 'sslclient', '-x509_strict'])).toEqual({ ok: true });
  expect(opensslVerify(join(dir, KS, 'manifest-ca', 'cert.pem'), cert).ok).toBe(false);
  expect(Math.round((c.notAfter.getTime() - now.getTime()) / 86_400_000)).toBe(365);

  // Ours agrees: the chain verifies for client use, not for signing manifests, not under another CA.
  const leaf = certOf(cert);
  expect(apiRoleOf(leaf)).toBe('operator');
  expect(verifyChain({ chain: [leaf], anchors: anchorsOf(apiCa), purpose: 'clientAuth' }).anchor.commonName).toBe('API client rootCA');
  expect(codeAndCheck(trustErrorOfSync(() => verifyChain({ chain: [leaf], anchors: anchorsOf(apiCa) })))).toEqual({ code: 'ERR_TRUST_KEY_USAGE', check: 'key-usage' });
  expect(codeAndCheck(trustErrorOfSync(() => verifyChain({ chain: [leaf], anchors: anchorsOf(join(dir, KS, 'manifest-ca', 'cert.pem')), purpose: 'clientAuth' })))).toEqual({
    code: 'ERR_TRUST_UNKNOWN_ISSUER',
    check: 'unknown-issuer',
  });
});

test('the role comes from exactly one known OU, whoever made the certificate (openssl here)', () => {
  const d = tmp();
  const key = join(d, 'k.pem');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
  const make = (subj: string) => {
    const out = join(d, `${subj.replace(/[^a-z]/gi, '')}.pem`);
    const csr = join(d, 'req.csr');
    openssl(['req', '-new', '-key', key, '-subj', subj, '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', apiCa, '-CAkey', join(dir, KS, 'api-ca', 'privkey.pem'), '-days', '1', '-out', out]);
    return certOf(out);
  };
  expect(apiRoleOf(make('/CN=ops/OU=admin'))).toBe('admin');
  expect(apiRoleOf(make('/CN=two/OU=reader/OU=admin'))).toBeUndefined();
  expect(apiRoleOf(make('/CN=odd/OU=root'))).toBeUndefined();
  expect(apiRoleOf(make('/CN=none'))).toBeUndefined();
  expect([roleAtLeast('admin', 'operator'), roleAtLeast('operator', 'operator'), roleAtLeast('reader', 'operator'), roleAtLeast(undefined, 'reader')]).toEqual([true, true, false, false]);
});

test('refused: an existing name, a name that is a path, an unknown role; a keyset without api-ca says so', async () => {
  await addApiClient({ keyset: KS, role: 'reader', name: 'dup', dir });
  expect(codeAndCheck(await trustErrorOf(() => addApiClient({ keyset: KS, role: 'reader', name: 'dup', dir })))).toMatchObject({ code: 'ERR_TRUST_EXISTS' });
  expect(codeAndCheck(await trustErrorOf(() => addApiClient({ keyset: KS, role: 'reader', name: '../x', dir })))).toMatchObject({ code: 'ERR_TRUST_INVALID_NAME' });
  expect(codeAndCheck(await trustErrorOf(() => addApiClient({ keyset: KS, role: 'root' as never, name: 'x', dir })))).toMatchObject({ code: 'ERR_TRUST_INVALID_NAME' });
  const old = tmp();
  await addKeyset({ name: 'old', dir: old });
  renameSync(join(old, 'old', 'api-ca'), join(old, 'api-ca-moved'));
  const e = await trustErrorOf(() => addApiClient({ keyset: 'old', role: 'reader', name: 'x', dir: old }));
  expect(e.code).toBe('ERR_TRUST_NOT_FOUND');
  expect(e.message).toMatch(/API client CA of keyset "old" \(keysets made before mos had an API lack it\) not found/);
});

test('trust api-client add and list; usage mistakes exit 2', async () => {
  const d = tmp();
  await addKeyset({ name: 'cli', dir: d });
  const add = await runTrust(['api-client', 'add', '--keysets-dir', d, '--keyset', 'cli', '--role', 'admin', '--days', '30', 'alice']);
  expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/^issued API client alice \(role admin, valid until \S+\) in \S+alice\n$/) });
  const list = await runTrust(['api-client', 'list', '--keysets-dir', d, '--keyset', 'cli']);
  expect(list.stdout).toMatch(/^alice\tadmin\t\d{4}-\d\d-\d\dT/);
  expect((await listApiClients({ keyset: 'cli', dir: d })).map((c) => [c.name, c.role])).toEqual([['alice', 'admin']]);
  for (const bad of [
    ['--keyset', 'cli', '--role', 'boss', 'bob'],
    ['--keyset', 'cli', '--role', 'reader', '--days', '0', 'bob'],
    ['--keyset', 'cli', '--role', 'reader', '--days', 'ten', 'bob'],
    ['--keyset', 'cli', 'bob'],
  ]) {
    const r = await runTrust(['api-client', 'add', '--keysets-dir', d, ...bad]);
    expect({ args: bad, code: r.code }).toEqual({ args: bad, code: 2 });
  }
});
