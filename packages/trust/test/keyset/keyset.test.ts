import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KEYSET_KEYS,
  addKeyset,
  addProject,
  addSudi,
  keysetsDir,
  listKeysets,
  listProjects,
  listSudis,
  loadTrustAnchors,
  parseCertificates,
  projectInfo,
  showKeyset,
  signFile,
  verifySignedManifest,
} from '@mos/trust';
import { codeAndCheck, trustErrorOf } from '../helpers/errors';
import { openssl, opensslDates, opensslText, opensslVerify } from '../helpers/openssl';
import { opensslSign, opensslVerifySignature } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';
import { snapshot } from '../helpers/tree';
import { runTrust } from '../helpers/cli';

// A keyset made by trust, checked with openssl against mos-original §2.10 / §3.2. One keyset
// is made in beforeAll (11 RSA keys) and reused; tests that add to it use their own names.

const tmp = tempDirs();
const KS = 'test_keys';
const ORGS = ['Wowza inc', 'Zürich & Söhne'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WITH_GUID = ['uefi-pk', 'uefi-kek', 'uefi-db', 'uki-production', 'uki-limited', 'uki-tpm'];
const CAS = ['manifest-ca', 'sudi-ca', 'uefi-pk', 'api-ca'];
/** openssl's RFC 5280 conformance checks on top of the chain (X509_V_FLAG_X509_STRICT). */
const STRICT = ['-x509_strict'];
const CN: Record<string, string> = {
  'manifest-ca': 'Manifest rootCA',
  'sudi-ca': 'SUDI rootCA',
  'uefi-pk': 'UEFI PK',
  'uefi-kek': 'UEFI KEK',
  'uefi-db': 'UEFI DB',
  'uki-production': 'UKI Production',
  'uki-limited': 'UKI Limited',
  'uki-tpm': 'UKI TPM',
  'tpmpol-admin': 'TPM EAPolicy Admin',
  'tpmpol-luks': 'TPM EAPolicy LUKS',
  // mos's own: the CA of API client certificates (issue 11).
  'api-ca': 'API client rootCA',
};

let dir: string;
let ks: string;
let before: Date;
let after: Date;

const mode = (p: string) => statSync(p).mode & 0o777;
const addYears = (d: Date, n: number) => {
  const x = new Date(d);
  x.setUTCFullYear(x.getUTCFullYear() + n);
  return x;
};
/** Subject as openssl prints it in RFC 2253 form, UTF-8 unescaped. */
const subjectOf = (cert: string) => openssl(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253,-esc_msb']).trim().replace(/^subject=/, '');
const issuerOf = (cert: string) => openssl(['x509', '-in', cert, '-noout', '-issuer', '-nameopt', 'RFC2253,-esc_msb']).trim().replace(/^issuer=/, '');
/** SHA-1 of the DER SubjectPublicKeyInfo, as openssl prints key ids (AB:CD:...). */
const spkiSha1 = (cert: string) =>
  createHash('sha1')
    .update(createPublicKey(readFileSync(cert)).export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .toUpperCase()
    .match(/../g)!
    .join(':');

beforeAll(async () => {
  dir = tmp();
  before = new Date(Math.floor(Date.now() / 1000) * 1000);
  ks = await addKeyset({ name: KS, orgs: ORGS, dir });
  after = new Date();
});

describe('addKeyset: layout (§2.10)', () => {
  test('the keyset directory holds every key of KEYSET_KEYS and the manifest/ dir, nothing else', () => {
    expect(ks).toBe(join(dir, KS));
    expect(KEYSET_KEYS.map((k) => k.dir).sort()).toEqual(Object.keys(CN).sort());
    expect(readdirSync(ks).sort()).toEqual([...Object.keys(CN), 'manifest'].sort());
    expect(readdirSync(dir)).toEqual([KS]); // no temp dir left behind
  });

  test.each(Object.keys(CN))('%s: RSA-2048 PKCS#8 privkey.pem (0600) matching cert.pem (0640), guid where specified', (key) => {
    const priv = join(ks, key, 'privkey.pem');
    const cert = join(ks, key, 'cert.pem');
    expect(readFileSync(priv, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(mode(priv)).toBe(0o600);
    expect(mode(cert)).toBe(0o640);
    expect(openssl(['pkey', '-in', priv, '-noout', '-text_pub'])).toMatch(/Public-Key: \(2048 bit\)/);
    expect(openssl(['pkey', '-in', priv, '-pubout'])).toBe(openssl(['x509', '-in', cert, '-noout', '-pubkey']));
    const files = readdirSync(join(ks, key)).sort();
    if (WITH_GUID.includes(key)) {
      expect(files).toEqual(['cert.pem', 'guid', 'privkey.pem']);
      expect(readFileSync(join(ks, key, 'guid'), 'utf8').trim()).toMatch(UUID);
    } else {
      expect(files).toEqual(['cert.pem', 'privkey.pem']);
    }
  });

  test('guids differ between keys', () => {
    const guids = WITH_GUID.map((k) => readFileSync(join(ks, k, 'guid'), 'utf8'));
    expect(new Set(guids).size).toBe(guids.length);
  });

  test('the project "default": uuid, key, certificate and an empty sudi/', () => {
    const p = join(ks, 'manifest', 'default');
    expect(readdirSync(p).sort()).toEqual(['cert.pem', 'privkey.pem', 'sudi', 'uuid']);
    expect(readFileSync(join(p, 'uuid'), 'utf8').trim()).toMatch(UUID);
    expect(mode(join(p, 'privkey.pem'))).toBe(0o600);
    expect(readdirSync(join(p, 'sudi'))).toEqual([]);
  });
});

describe('addKeyset: certificates as openssl reads them (§2.10)', () => {
  test('openssl verify -CAfile manifest-ca/cert.pem manifest/default/cert.pem succeeds (also with -x509_strict)', () => {
    expect(opensslVerify(join(ks, 'manifest-ca/cert.pem'), join(ks, 'manifest/default/cert.pem'))).toEqual({ ok: true });
    expect(opensslVerify(join(ks, 'manifest-ca/cert.pem'), join(ks, 'manifest/default/cert.pem'), undefined, STRICT)).toEqual({ ok: true });
  });

  test('uefi-kek is signed by uefi-pk; the CAs verify against themselves', () => {
    expect(opensslVerify(join(ks, 'uefi-pk/cert.pem'), join(ks, 'uefi-kek/cert.pem'), undefined, STRICT)).toEqual({ ok: true });
    expect(issuerOf(join(ks, 'uefi-kek/cert.pem'))).toBe(subjectOf(join(ks, 'uefi-pk/cert.pem')));
    for (const ca of CAS) expect(opensslVerify(join(ks, ca, 'cert.pem'), join(ks, ca, 'cert.pem'), undefined, STRICT)).toEqual({ ok: true });
  });

  test.each(Object.keys(CN))('%s: subject CN, O from --org, OU "Project Machine Project <keyset>"', (key) => {
    const cert = join(ks, key, 'cert.pem');
    // RFC 2253 lists the RDNs last-first.
    expect(subjectOf(cert)).toBe(`OU=Project Machine Project ${KS},O=${ORGS[1]},O=${ORGS[0]},CN=${CN[key]}`);
    expect(issuerOf(cert)).toBe(key === 'uefi-kek' ? subjectOf(join(ks, 'uefi-pk/cert.pem')) : subjectOf(cert));
  });

  test.each(Object.keys(CN))('%s: CA flag, key usages, SKI = SHA-1 of the SPKI, AKI, 128-bit serial', (key) => {
    const cert = join(ks, key, 'cert.pem');
    const text = opensslText(cert);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:(TRUE|FALSE)/);
    if (CAS.includes(key)) {
      expect(text).toMatch(/CA:TRUE/);
      expect(text).toMatch(/X509v3 Key Usage: critical\n\s+.*Certificate Sign/);
    } else {
      expect(text).toMatch(/CA:FALSE/);
      expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
      expect(text).toMatch(/X509v3 Extended Key Usage: *\n\s+Code Signing\n/);
    }
    expect(text).toContain(`X509v3 Subject Key Identifier: \n                ${spkiSha1(cert)}\n`);
    const issuerCert = key === 'uefi-kek' ? join(ks, 'uefi-pk/cert.pem') : cert;
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier: *\\n\\s+(keyid:)?${spkiSha1(issuerCert)}\\n`));
    const serial = openssl(['x509', '-in', cert, '-noout', '-serial']).trim().replace('serial=', '');
    expect(serial.replace(/^00/, '').length).toBeLessThanOrEqual(32);
    expect(serial.length).toBeGreaterThanOrEqual(24); // random 128 bits: a short one is vanishingly unlikely
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  test.each([
    ['manifest-ca', 25],
    ['uefi-pk', 50],
    ['uefi-kek', 50],
    ['uefi-db', 25],
    ['uki-production', 25],
    ['uki-limited', 25],
    ['uki-tpm', 25],
    ['tpmpol-admin', 25],
    ['tpmpol-luks', 25],
    ['api-ca', 25],
  ])('%s: valid from now for %i years', (key, years) => {
    const { notBefore, notAfter } = opensslDates(join(ks, key, 'cert.pem'));
    expect(notBefore.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(notBefore.getTime()).toBeLessThanOrEqual(after.getTime());
    expect(notAfter).toEqual(addYears(notBefore, years as number));
  });

  test('sudi-ca: valid until 2099-12-31 23:00 UTC', () => {
    const { notBefore, notAfter } = opensslDates(join(ks, 'sudi-ca/cert.pem'));
    expect(notBefore.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(notAfter.toISOString()).toBe('2099-12-31T23:00:00.000Z');
    expect(openssl(['x509', '-in', join(ks, 'sudi-ca/cert.pem'), '-noout', '-enddate'])).toBe('notAfter=Dec 31 23:00:00 2099 GMT\n');
  });

  test('project certificate: CN "manifest PRODUCT:<uuid>", issued by manifest-ca, 20 years, digitalSignature + codeSigning', () => {
    const uuid = readFileSync(join(ks, 'manifest/default/uuid'), 'utf8').trim();
    const cert = join(ks, 'manifest/default/cert.pem');
    expect(subjectOf(cert)).toBe(`CN=manifest PRODUCT:${uuid}`);
    expect(issuerOf(cert)).toBe(subjectOf(join(ks, 'manifest-ca/cert.pem')));
    const text = opensslText(cert);
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n\s+Code Signing\n/);
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier: *\\n\\s+(keyid:)?${spkiSha1(join(ks, 'manifest-ca/cert.pem'))}\\n`));
    const { notBefore, notAfter } = opensslDates(cert);
    expect(notAfter).toEqual(addYears(notBefore, 20));
  });

  test('subject strings are valid ASN.1: PrintableString only for printable text, UTF8String otherwise', () => {
    for (const key of [...Object.keys(CN), 'manifest/default']) {
      const dump = openssl(['asn1parse', '-in', join(ks, key, 'cert.pem')]);
      for (const [, type, value] of dump.matchAll(/prim: (PRINTABLESTRING|UTF8STRING|T61STRING|IA5STRING|BMPSTRING)\s*:(.*)$/gm)) {
        if (type === 'PRINTABLESTRING') expect(value).toMatch(/^[A-Za-z0-9 '()+,\-./:=?]*$/);
        else expect(type).toBe('UTF8STRING');
      }
    }
    // ...and the org with non-ASCII characters reads back exactly, here and with openssl.
    const ca = parseCertificates(readFileSync(join(ks, 'manifest-ca/cert.pem')))[0];
    expect(ca.subject.filter(([oid]) => oid === '2.5.4.10').map(([, v]) => v)).toEqual(ORGS);
    expect(subjectOf(join(ks, 'manifest-ca/cert.pem'))).toContain('O=Zürich & Söhne');
  });
});

describe('signing with a project key', () => {
  test('a manifest signed by trust verifies with openssl, and one signed by openssl verifies with trust and `trust manifest verify`', async () => {
    const p = await projectInfo({ keyset: KS, project: 'default', dir });
    const file = join(tmp(), 'install.json');
    writeFileSync(file, JSON.stringify({ version: 1, product: p.uuid, update_type: 'complete', targets: [] }) + '\n');
    const pub = join(file + '.pub');
    writeFileSync(pub, openssl(['x509', '-in', join(p.dir, 'cert.pem'), '-noout', '-pubkey']));

    writeFileSync(`${file}.signed`, await signFile({ path: file, key: readFileSync(join(p.dir, 'privkey.pem')) }));
    expect(opensslVerifySignature(pub, `${file}.signed`, file)).toBe(true);

    const theirs = opensslSign(join(p.dir, 'privkey.pem'), file, `${file}.openssl.signed`);
    expect(theirs.equals(readFileSync(`${file}.signed`))).toBe(true);
    const v = verifySignedManifest({
      data: readFileSync(file),
      signature: theirs,
      certificate: readFileSync(join(p.dir, 'cert.pem')),
      anchors: loadTrustAnchors({ caPath: join(ks, 'manifest-ca/cert.pem') }),
      product: p.uuid,
    });
    expect(v.product).toBe(p.uuid);

    const r = await runTrust([
      'manifest', 'verify', '--ca', join(ks, 'manifest-ca/cert.pem'), '--cert', join(p.dir, 'cert.pem'),
      '--signature', `${file}.openssl.signed`, '--product', p.uuid, file,
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('verified');
  });
});

describe('projects and SUDIs', () => {
  test('addProject: a new project with its own uuid, listed; openssl verifies it against manifest-ca', async () => {
    const p = await addProject({ keyset: KS, project: 'newproject', dir });
    expect(p).toBe(join(ks, 'manifest', 'newproject'));
    expect(await listProjects({ keyset: KS, dir })).toEqual(['default', 'newproject']);
    const uuid = readFileSync(join(p, 'uuid'), 'utf8').trim();
    expect(uuid).toMatch(UUID);
    expect(uuid).not.toBe(readFileSync(join(ks, 'manifest/default/uuid'), 'utf8').trim());
    expect(opensslVerify(join(ks, 'manifest-ca/cert.pem'), join(p, 'cert.pem'), undefined, STRICT)).toEqual({ ok: true });
    expect(await projectInfo({ keyset: KS, project: 'newproject', dir })).toEqual({ dir: p, uuid });
  });

  test('addSudi: subject serialNumber=PID:<uuid> SN:<serial> + CN=<serial>, verified by openssl against sudi-ca', async () => {
    const uuid = readFileSync(join(ks, 'manifest/default/uuid'), 'utf8').trim();
    expect(await addSudi({ keyset: KS, project: 'default', serial: 'SN0001', dir })).toBe('SN0001');
    const cert = join(ks, 'manifest/default/sudi/SN0001/cert.pem');
    expect(readdirSync(join(ks, 'manifest/default/sudi/SN0001')).sort()).toEqual(['cert.pem', 'privkey.pem']);
    expect(mode(join(ks, 'manifest/default/sudi/SN0001/privkey.pem'))).toBe(0o600);
    expect(subjectOf(cert)).toBe(`CN=SN0001,serialNumber=PID:${uuid} SN:SN0001`);
    expect(opensslVerify(join(ks, 'sudi-ca/cert.pem'), cert, undefined, STRICT)).toEqual({ ok: true });
    expect(opensslVerify(join(ks, 'manifest-ca/cert.pem'), cert).ok).toBe(false);
    const text = opensslText(cert);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Data Encipherment\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    expect(opensslDates(cert).notAfter.toISOString()).toBe('2099-12-31T23:00:00.000Z');
  });

  test('addSudi without a serial uses a random uuid', async () => {
    const serial = await addSudi({ keyset: KS, project: 'default', dir });
    expect(serial).toMatch(UUID);
    expect(await listSudis({ keyset: KS, project: 'default', dir })).toContain(serial);
    expect(existsSync(join(ks, 'manifest/default/sudi', serial, 'cert.pem'))).toBe(true);
  });
});

describe('refusals leave everything as it was', () => {
  const EXISTS = { code: 'ERR_TRUST_EXISTS', check: 'exists' };

  test('an existing keyset → ERR_TRUST_EXISTS', async () => {
    const snap = snapshot(dir);
    expect(codeAndCheck(await trustErrorOf(() => addKeyset({ name: KS, dir })))).toEqual(EXISTS);
    expect(snapshot(dir)).toEqual(snap);
  });

  test('an existing project → ERR_TRUST_EXISTS', async () => {
    const snap = snapshot(dir);
    expect(codeAndCheck(await trustErrorOf(() => addProject({ keyset: KS, project: 'default', dir })))).toEqual(EXISTS);
    expect(snapshot(dir)).toEqual(snap);
  });

  test('two concurrent addProject of one name: one succeeds, the other → ERR_TRUST_EXISTS, no temp dir left', async () => {
    const results = await Promise.allSettled([0, 1].map(() => addProject({ keyset: KS, project: 'racy', dir })));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(codeAndCheck(failed.reason)).toEqual(EXISTS);
    expect(readdirSync(join(ks, 'manifest')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(opensslVerify(join(ks, 'manifest-ca/cert.pem'), join(ks, 'manifest/racy/cert.pem'))).toEqual({ ok: true });
  });

  test('an existing SUDI → ERR_TRUST_EXISTS', async () => {
    await addSudi({ keyset: KS, project: 'default', serial: 'SN-dup', dir });
    const snap = snapshot(dir);
    expect(codeAndCheck(await trustErrorOf(() => addSudi({ keyset: KS, project: 'default', serial: 'SN-dup', dir })))).toEqual(EXISTS);
    expect(snapshot(dir)).toEqual(snap);
  });

  const HOSTILE = ['..', '.', 'a/b', '../x', '-x', '--help', 'a\0b', '', '.hidden', 'a b', 'a\nb', 'x'.repeat(65), 'é'];
  const INVALID = { code: 'ERR_TRUST_INVALID_NAME', check: 'invalid-name' };

  test.each(HOSTILE.map((n) => [JSON.stringify(n), n]))('hostile name %s → ERR_TRUST_INVALID_NAME, nothing created', async (_label, name) => {
    const snap = snapshot(dir);
    expect(codeAndCheck(await trustErrorOf(() => addKeyset({ name, dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => addProject({ keyset: KS, project: name, dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => addProject({ keyset: name, project: 'p', dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => addSudi({ keyset: KS, project: 'default', serial: name, dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => addSudi({ keyset: KS, project: name, serial: 'SN9', dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => showKeyset({ keyset: KS, key: 'manifest-ca', item: name, dir })))).toEqual(INVALID);
    expect(codeAndCheck(await trustErrorOf(() => showKeyset({ keyset: KS, key: `manifest:${name}`, dir })))).toEqual(INVALID);
    expect(snapshot(dir)).toEqual(snap);
  });

  test('a key that is not one of the keyset keys → ERR_TRUST_INVALID_NAME', async () => {
    expect((await trustErrorOf(() => showKeyset({ keyset: KS, key: '../other', dir }))).code).toBe('ERR_TRUST_INVALID_NAME');
    expect((await trustErrorOf(() => showKeyset({ keyset: KS, key: 'manifest', dir }))).code).toBe('ERR_TRUST_INVALID_NAME');
  });

  test('missing keyset / project / item → ERR_TRUST_NOT_FOUND, nothing created', async () => {
    const snap = snapshot(dir);
    const NOT_FOUND = { code: 'ERR_TRUST_NOT_FOUND', check: 'not-found' };
    expect(codeAndCheck(await trustErrorOf(() => addProject({ keyset: 'nope', project: 'p', dir })))).toEqual(NOT_FOUND);
    expect(codeAndCheck(await trustErrorOf(() => addSudi({ keyset: KS, project: 'nope', dir })))).toEqual(NOT_FOUND);
    expect(codeAndCheck(await trustErrorOf(() => listProjects({ keyset: 'nope', dir })))).toEqual(NOT_FOUND);
    expect(codeAndCheck(await trustErrorOf(() => listSudis({ keyset: KS, project: 'nope', dir })))).toEqual(NOT_FOUND);
    expect(codeAndCheck(await trustErrorOf(() => showKeyset({ keyset: KS, key: 'manifest:nope', dir })))).toEqual(NOT_FOUND);
    expect(codeAndCheck(await trustErrorOf(() => showKeyset({ keyset: KS, key: 'manifest-ca', item: 'guid', dir })))).toEqual(NOT_FOUND);
    expect(snapshot(dir)).toEqual(snap);
  });
});

describe('listing and showing', () => {
  test('listKeysets: sorted, ignoring temp dirs; empty when the directory does not exist', async () => {
    expect(await listKeysets({ dir })).toEqual([KS]);
    expect(await listKeysets({ dir: join(dir, 'does-not-exist') })).toEqual([]);
  });

  test('showKeyset: whole keyset, a key, an item, in list / path / value modes', async () => {
    const all = await showKeyset({ keyset: KS, dir });
    expect(all.split('\n')).toEqual(expect.arrayContaining(['manifest-ca/cert.pem', 'manifest/default/uuid', 'uefi-pk/guid']));
    expect(await showKeyset({ keyset: KS, dir, mode: 'path' })).toBe(KEYSET_KEYS.map((k) => join(ks, k.dir)).join('\n') + '\n');
    expect(await showKeyset({ keyset: KS, key: 'uefi-pk', dir })).toBe('cert.pem\nguid\nprivkey.pem\n');
    expect(await showKeyset({ keyset: KS, key: 'uefi-pk', dir, mode: 'path' })).toBe(join(ks, 'uefi-pk') + '\n');
    expect(await showKeyset({ keyset: KS, key: 'uefi-pk', item: 'guid', dir, mode: 'value' })).toBe(readFileSync(join(ks, 'uefi-pk/guid'), 'utf8').trim() + '\n');
    expect(await showKeyset({ keyset: KS, key: 'manifest:default', item: 'uuid', dir, mode: 'path' })).toBe(join(ks, 'manifest/default/uuid') + '\n');
    expect(await showKeyset({ keyset: KS, key: 'manifest:default', item: 'cert.pem', dir })).toBe(readFileSync(join(ks, 'manifest/default/cert.pem'), 'utf8'));
  });

  test('keysetsDir: explicit, then $MOS_KEYSETS_DIR, then ~/.local/share/machine/trust/keys', () => {
    expect(keysetsDir('/x', { MOS_KEYSETS_DIR: '/y', HOME: '/h' })).toBe('/x');
    expect(keysetsDir(undefined, { MOS_KEYSETS_DIR: '/y', HOME: '/h' })).toBe('/y');
    expect(keysetsDir(undefined, { HOME: '/h' })).toBe('/h/.local/share/machine/trust/keys');
  });
});
