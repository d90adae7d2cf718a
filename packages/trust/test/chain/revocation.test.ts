import { writeFileSync } from 'node:fs';
import {
  RevokedError,
  loadTrustAnchors,
  parseCertificates,
  parseRevocationList,
  revocationReason,
  verifyChain,
  verifySignedManifest,
} from '@mos/trust';
import { codeAndCheck, trustErrorOfSync } from '../helpers/errors';
import { opensslStatus } from '../helpers/openssl';
import { EXT, opensslFingerprintAndSerial, opensslSign, Pki, type Issued, type OpenSslCa } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// The revocation file next to the CA (`manifestCA.revoked`): SHA-256 fingerprints and serials,
// one per line, or CRLs made with `openssl ca -revoke` + `openssl ca -gencrl`.

const tmp = tempDirs();
let pki: Pki;
let ca: OpenSslCa;
let root: Issued;
let caPath: string;
let revokedPath: string;
let good: Issued;
let bad: Issued;

const REVOKED = { code: 'ERR_TRUST_REVOKED', check: 'revoked' };
const BAD_LIST = { code: 'ERR_TRUST_BAD_REVOCATION_LIST', check: 'bad-revocation-list' };

/** Writes the revocation file next to the CA and verifies `cert` with the anchors loaded from disk. */
function verifyWith(revocation: string, cert: Issued | string) {
  writeFileSync(revokedPath, revocation);
  return verifyChain({ chain: typeof cert === 'string' ? cert : cert.pem, anchors: loadTrustAnchors({ caPath }) });
}

beforeAll(() => {
  pki = new Pki(tmp());
  root = pki.root('manifestCA', { kind: 'rsa2048' });
  caPath = root.cert; // <dir>/manifestCA.pem
  revokedPath = pki.path('manifestCA.revoked');
  ca = pki.opensslCa('crl').use(root);
  good = ca.issue('good-leaf', { startdate: '20200101000000Z', enddate: '20990101000000Z' });
  bad = ca.issue('bad-leaf', { kind: 'ec256', startdate: '20200101000000Z', enddate: '20990101000000Z' });
});

test('no revocation file: both certificates verify', () => {
  expect(loadTrustAnchors({ caPath }).revocation).toBeUndefined();
  for (const c of [good, bad]) expect(verifyChain({ chain: c.pem, anchors: loadTrustAnchors({ caPath }) }).leaf.commonName).toBe(c.name);
});

describe('by SHA-256 fingerprint line', () => {
  test.each([
    ['as openssl prints it (upper case, colons)', (fp: string) => fp],
    ['lower case without colons', (fp: string) => fp.replace(/:/g, '').toLowerCase()],
    ['with a comment and blank lines around it', (fp: string) => `# revoked 2024-01-01\n\n${fp}  # stolen laptop\n\n`],
  ])('%s', (_how, format) => {
    const { fingerprint } = opensslFingerprintAndSerial(bad.cert);
    const e = trustErrorOfSync(() => verifyWith(format(fingerprint) + '\n', bad));
    expect(e).toBeInstanceOf(RevokedError);
    expect(codeAndCheck(e)).toEqual(REVOKED);
    expect(e.message).toContain('bad-leaf');
    expect(verifyWith(format(fingerprint) + '\n', good).leaf.commonName).toBe('good-leaf');
  });

  test('a revoked intermediate revokes everything below it', () => {
    const int = pki.issue('rev-int', root, { ext: EXT.intermediate });
    const leaf = pki.issue('rev-int-leaf', int);
    const chain = leaf.pem + int.pem;
    expect(verifyWith('', chain).intermediates).toHaveLength(1);
    const e = trustErrorOfSync(() => verifyWith(opensslFingerprintAndSerial(int.cert).fingerprint + '\n', chain));
    expect(codeAndCheck(e)).toEqual(REVOKED);
    expect(e.message).toContain('rev-int');
  });
});

describe('by serial line', () => {
  test('the serial as openssl prints it', () => {
    const { serial } = opensslFingerprintAndSerial(bad.cert);
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith(`${serial}\n`, bad)))).toEqual(REVOKED);
    expect(verifyWith(`${serial}\n`, good).leaf.commonName).toBe('good-leaf');
  });

  test('a serial whose first hex digit is 0 (openssl prints "0A1B2C")', () => {
    const leaf = pki.issue('zero-serial', root, { serial: '0x0A1B2C' });
    const { serial } = opensslFingerprintAndSerial(leaf.cert);
    expect(serial).toBe('0A1B2C');
    const e = trustErrorOfSync(() => verifyWith(`${serial}\n`, leaf));
    expect(codeAndCheck(e)).toEqual(REVOKED);
    // Same serial written with colons or without the leading zero.
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith('0a:1b:2c\n', leaf)))).toEqual(REVOKED);
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith('a1b2c\n', leaf)))).toEqual(REVOKED);
  });

  test('a serial whose top bit is set (DER adds a 00 byte)', () => {
    const leaf = pki.issue('high-serial', root, { serial: '0x8F0000000000000001' });
    const { serial } = opensslFingerprintAndSerial(leaf.cert);
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith(`${serial}\n`, leaf)))).toEqual(REVOKED);
  });
});

describe('by CRL (openssl ca -revoke, openssl ca -gencrl)', () => {
  let crl: string;
  beforeAll(() => {
    ca.revoke(bad);
    crl = ca.gencrl();
  });

  test('openssl itself rejects the revoked certificate with that CRL', () => {
    const crlFile = pki.path('crl-only.pem');
    writeFileSync(crlFile, crl);
    const r = opensslStatus(['verify', '-crl_check', '-CAfile', caPath, '-CRLfile', crlFile, bad.cert]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('certificate revoked');
    expect(opensslStatus(['verify', '-crl_check', '-CAfile', caPath, '-CRLfile', crlFile, good.cert]).status).toBe(0);
  });

  test('the revoked certificate → revoked; the other still verifies', () => {
    const e = trustErrorOfSync(() => verifyWith(crl, bad));
    expect(e).toBeInstanceOf(RevokedError);
    expect(codeAndCheck(e)).toEqual(REVOKED);
    expect(verifyWith(crl, good).leaf.commonName).toBe('good-leaf');
  });

  test('a CRL mixed with fingerprint lines', () => {
    const { fingerprint } = opensslFingerprintAndSerial(good.cert);
    const text = `${fingerprint}\n${crl}`;
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith(text, bad)))).toEqual(REVOKED);
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith(text, good)))).toEqual(REVOKED);
  });

  test('the CRL revokes only certificates of its own issuer', () => {
    const list = parseRevocationList(crl, parseCertificates(root.pem));
    const other = pki.root('other-issuer');
    const same = pki.issue('other-issuer-leaf', other, { serial: `0x${opensslFingerprintAndSerial(bad.cert).serial}` });
    expect(revocationReason(list, parseCertificates(bad.pem)[0])).toMatch(/CRL/);
    expect(revocationReason(list, parseCertificates(same.pem)[0])).toBeUndefined();
  });

  test('a CRL signed by another CA → bad-revocation-list', () => {
    const otherCa = pki.opensslCa('crl-other');
    otherCa.selfSign({ startdate: '20000101000000Z', enddate: '21000101000000Z' });
    const e = trustErrorOfSync(() => verifyWith(otherCa.gencrl(), good));
    expect(codeAndCheck(e)).toEqual(BAD_LIST);
  });

  test('a CRL with the CA\'s name but signed by another key → bad-revocation-list', () => {
    const impostor = pki.opensslCa('crl-impostor');
    impostor.use(pki.root('crl-impostor-root', { subj: '/CN=manifestCA' }));
    const e = trustErrorOfSync(() => verifyWith(impostor.gencrl(), good));
    expect(codeAndCheck(e)).toEqual(BAD_LIST);
  });

  test('a CRL with one altered byte → bad-revocation-list', () => {
    const der = Buffer.from(crl.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 20] ^= 0x01;
    const pem = `-----BEGIN X509 CRL-----\n${der.toString('base64')}\n-----END X509 CRL-----\n`;
    expect(codeAndCheck(trustErrorOfSync(() => verifyWith(pem, good)))).toEqual(BAD_LIST);
  });
});

describe('a revocation file that cannot be read fails closed', () => {
  test.each([
    ['a line that is neither fingerprint nor serial', 'not-a-serial\n'],
    ['a fingerprint of the wrong length', `${'ab'.repeat(31)}\n`],
    ['a certificate instead of a CRL', () => good.pem],
  ])('%s → bad-revocation-list', (_what, text) => {
    const e = trustErrorOfSync(() => verifyWith(typeof text === 'function' ? text() : text, good));
    expect(codeAndCheck(e)).toEqual(BAD_LIST);
  });

  test('an explicit revocation path that does not exist → bad-revocation-list', () => {
    const e = trustErrorOfSync(() => loadTrustAnchors({ caPath, revocationPath: pki.path('nope.revoked') }));
    expect(codeAndCheck(e)).toEqual(BAD_LIST);
  });
});

test('verifySignedManifest applies the revocation file', () => {
  const data = Buffer.from('{"version":1}\n');
  const file = pki.path('rev-manifest.json');
  writeFileSync(file, data);
  const signature = opensslSign(bad.key, file);
  writeFileSync(revokedPath, `${opensslFingerprintAndSerial(bad.cert).serial}\n`);
  const e = trustErrorOfSync(() => verifySignedManifest({ data, signature, certificate: bad.pem, anchors: loadTrustAnchors({ caPath }) }));
  expect(codeAndCheck(e)).toEqual(REVOKED);
});
