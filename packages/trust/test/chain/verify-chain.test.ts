import { readFileSync, writeFileSync } from 'node:fs';
import {
  BadCertSignatureError,
  ExpiredError,
  IssuerNotCaError,
  KeyUsageError,
  NotYetValidError,
  PathLengthError,
  UnknownIssuerError,
  loadTrustAnchors,
  parseCertificates,
  verifyChain,
  type TrustAnchors,
  type TrustErrorCode,
} from '@mos/trust';
import { codeAndCheck, trustErrorOfSync } from '../helpers/errors';
import { opensslVerify } from '../helpers/openssl';
import { EXT, Pki, type Issued } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// Every chain here is made by the openssl CLI; `openssl verify` is run on the same files as an
// oracle, so a chain we accept is one openssl accepts, and (for the checks openssl makes by
// default) a chain we reject is one openssl rejects too.

const tmp = tempDirs();
let pki: Pki;

const anchors = (...roots: Issued[]): TrustAnchors => ({ roots: roots.flatMap((r) => parseCertificates(r.pem)) });
const chainOf = (...certs: Issued[]) => certs.map((c) => c.pem).join('');
const rejects = (chain: string, a: TrustAnchors, now?: Date) => trustErrorOfSync(() => verifyChain({ chain, anchors: a, now }));
const CODES: Record<string, TrustErrorCode> = {
  expired: 'ERR_TRUST_EXPIRED',
  'not-yet-valid': 'ERR_TRUST_NOT_YET_VALID',
  'unknown-issuer': 'ERR_TRUST_UNKNOWN_ISSUER',
  'issuer-not-ca': 'ERR_TRUST_ISSUER_NOT_CA',
  'bad-cert-signature': 'ERR_TRUST_BAD_CERT_SIGNATURE',
  'path-length': 'ERR_TRUST_PATH_LENGTH',
  'key-usage': 'ERR_TRUST_KEY_USAGE',
  'bad-pem': 'ERR_TRUST_BAD_PEM',
};
const expectCheck = (e: { code: TrustErrorCode; check: string }, check: keyof typeof CODES) =>
  expect(codeAndCheck(e as never)).toEqual({ code: CODES[check], check });

beforeAll(() => {
  pki = new Pki(tmp());
});

describe('chains made by openssl verify', () => {
  test('RSA root → RSA leaf', () => {
    const root = pki.root('rsa-root', { kind: 'rsa2048' });
    const leaf = pki.issue('rsa-leaf', root, { kind: 'rsa2048', subj: '/CN=manifest PRODUCT:11111111-2222-3333-4444-555555555555' });
    expect(opensslVerify(root.cert, leaf.cert)).toEqual({ ok: true });
    const v = verifyChain({ chain: leaf.pem, anchors: anchors(root) });
    expect(v.leaf.commonName).toBe('manifest PRODUCT:11111111-2222-3333-4444-555555555555');
    expect(v.intermediates).toEqual([]);
    expect(v.anchor.commonName).toBe('rsa-root');
  });

  test('EC P-256 root → EC P-256 leaf', () => {
    const root = pki.root('ec-root', { kind: 'ec256' });
    const leaf = pki.issue('ec-leaf', root, { kind: 'ec256' });
    expect(opensslVerify(root.cert, leaf.cert)).toEqual({ ok: true });
    const v = verifyChain({ chain: leaf.pem, anchors: anchors(root) });
    expect(v.leaf.publicKey.asymmetricKeyType).toBe('ec');
    expect(v.anchor.commonName).toBe('ec-root');
  });

  test('RSA root → EC intermediate → RSA leaf, the SHA.pem holding the leaf then the intermediate', () => {
    const root = pki.root('mix-root', { kind: 'rsa2048' });
    const int = pki.issue('mix-int', root, { kind: 'ec256', ext: EXT.intermediate });
    const leaf = pki.issue('mix-leaf', int, { kind: 'rsa2048' });
    const shaPem = pki.bundle('mix-SHA.pem', leaf, int);
    expect(opensslVerify(root.cert, leaf.cert, int.cert)).toEqual({ ok: true });
    const v = verifyChain({ chain: readFileSync(shaPem), anchors: loadTrustAnchors({ caPath: root.cert }) });
    expect(v.leaf.commonName).toBe('mix-leaf');
    expect(v.intermediates.map((c) => c.commonName)).toEqual(['mix-int']);
    expect(v.anchor.commonName).toBe('mix-root');
  });

  test('EC root → EC intermediate → EC intermediate → EC leaf (no pathlen), intermediates in any order', () => {
    const root = pki.root('ec3-root', { kind: 'ec256' });
    const i1 = pki.issue('ec3-i1', root, { kind: 'ec256', ext: EXT.intermediate });
    const i2 = pki.issue('ec3-i2', i1, { kind: 'ec256', ext: EXT.intermediate });
    const leaf = pki.issue('ec3-leaf', i2, { kind: 'ec256' });
    expect(opensslVerify(root.cert, leaf.cert, pki.bundle('ec3-ints.pem', i1, i2))).toEqual({ ok: true });
    const v = verifyChain({ chain: chainOf(leaf, i1, i2), anchors: anchors(root) });
    expect(v.intermediates.map((c) => c.commonName)).toEqual(['ec3-i2', 'ec3-i1']);
  });

  test('a CA bundle of several roots: the issuing one is picked', () => {
    const other = pki.root('bundle-other', { kind: 'ec256' });
    const root = pki.root('bundle-root');
    const leaf = pki.issue('bundle-leaf', root);
    const bundle = pki.bundle('bundle.pem', other, root);
    expect(opensslVerify(bundle, leaf.cert)).toEqual({ ok: true });
    expect(verifyChain({ chain: leaf.pem, anchors: loadTrustAnchors({ caPath: bundle }) }).anchor.commonName).toBe('bundle-root');
  });

  test('an intermediate with pathlen:0 may issue the leaf', () => {
    const root = pki.root('pl0ok-root');
    const int = pki.issue('pl0ok-int', root, { ext: EXT.caPathLen0 });
    const leaf = pki.issue('pl0ok-leaf', int);
    expect(opensslVerify(root.cert, leaf.cert, int.cert)).toEqual({ ok: true });
    expect(verifyChain({ chain: chainOf(leaf, int), anchors: anchors(root) }).intermediates).toHaveLength(1);
  });

  test('keyUsage / extKeyUsage are checked only when present; anyExtendedKeyUsage is accepted', () => {
    const root = pki.root('ku-ok-root');
    for (const [name, ext] of [['ku-bare', EXT.leafBare], ['ku-any', EXT.leafAnyEku]] as const) {
      const leaf = pki.issue(name, root, { ext });
      expect(verifyChain({ chain: leaf.pem, anchors: anchors(root) }).leaf.commonName).toBe(name);
    }
  });
});

describe('dated certificates (openssl ca -startdate/-enddate) and the injectable clock', () => {
  let ca: ReturnType<Pki['opensslCa']>;
  let expired: Issued;
  let future: Issued;

  beforeAll(() => {
    ca = pki.opensslCa('dated');
    ca.selfSign({ kind: 'ec256', startdate: '20000101000000Z', enddate: '21000101000000Z' });
    expired = ca.issue('dated-expired', { kind: 'ec256', startdate: '20200101000000Z', enddate: '20210101000000Z' });
    future = ca.issue('dated-future', { startdate: '20900101000000Z', enddate: '20910101000000Z' });
  });

  test('an expired leaf → expired (openssl agrees)', () => {
    expect(opensslVerify(ca.ca.cert, expired.cert)).toMatchObject({ ok: false, error: expect.stringContaining('certificate has expired') });
    const e = rejects(expired.pem, anchors(ca.ca));
    expect(e).toBeInstanceOf(ExpiredError);
    expectCheck(e, 'expired');
    expect(e.message).toContain('dated-expired');
  });

  test('a leaf valid only from 2090 → not-yet-valid (openssl agrees)', () => {
    expect(opensslVerify(ca.ca.cert, future.cert)).toMatchObject({ ok: false, error: expect.stringContaining('not yet valid') });
    const e = rejects(future.pem, anchors(ca.ca));
    expect(e).toBeInstanceOf(NotYetValidError);
    expectCheck(e, 'not-yet-valid');
  });

  test('the same certificates verify at a `now` inside their validity (GeneralizedTime past 2049 included)', () => {
    expect(verifyChain({ chain: expired.pem, anchors: anchors(ca.ca), now: new Date('2020-06-01T00:00:00Z') }).leaf.commonName).toBe('dated-expired');
    expect(verifyChain({ chain: future.pem, anchors: anchors(ca.ca), now: new Date('2090-06-01T00:00:00Z') }).leaf.commonName).toBe('dated-future');
    expect(verifyChain({ chain: future.pem, anchors: anchors(ca.ca), now: new Date('2091-01-01T00:00:00Z') }).leaf.commonName).toBe('dated-future');
  });

  test('validity bounds are exact to the second', () => {
    expectCheck(rejects(expired.pem, anchors(ca.ca), new Date('2021-01-01T00:00:01Z')), 'expired');
    expectCheck(rejects(expired.pem, anchors(ca.ca), new Date('2019-12-31T23:59:59Z')), 'not-yet-valid');
    expectCheck(rejects(future.pem, anchors(ca.ca), new Date('2092-01-01T00:00:00Z')), 'expired');
  });

  test('a current certificate is not-yet-valid / expired under an injected clock', () => {
    const root = pki.root('clock-root');
    const leaf = pki.issue('clock-leaf', root, { days: 30 });
    expectCheck(rejects(leaf.pem, anchors(root), new Date('2001-01-01T00:00:00Z')), 'not-yet-valid');
    expectCheck(rejects(leaf.pem, anchors(root), new Date(Date.now() + 40 * 86400_000)), 'expired');
  });

  test('an expired CA → expired, naming the CA', () => {
    const old = pki.opensslCa('old-root');
    old.selfSign({ startdate: '20000101000000Z', enddate: '20010101000000Z' });
    const leaf = old.issue('old-root-leaf', { startdate: '20000101000000Z', enddate: '21000101000000Z' });
    expect(opensslVerify(old.ca.cert, leaf.cert).ok).toBe(false);
    const e = rejects(leaf.pem, anchors(old.ca));
    expectCheck(e, 'expired');
    expect(e.message).toContain('old-root');
  });
});

describe('rejections, each with its own code', () => {
  test('wrong CA → unknown-issuer', () => {
    const root = pki.root('wrong-root');
    const other = pki.root('wrong-other');
    const leaf = pki.issue('wrong-leaf', root);
    expect(opensslVerify(other.cert, leaf.cert).ok).toBe(false);
    const e = rejects(leaf.pem, anchors(other));
    expect(e).toBeInstanceOf(UnknownIssuerError);
    expectCheck(e, 'unknown-issuer');
  });

  test('an intermediate missing from the SHA.pem → unknown-issuer', () => {
    const root = pki.root('missing-root');
    const int = pki.issue('missing-int', root, { ext: EXT.intermediate });
    const leaf = pki.issue('missing-leaf', int);
    expect(opensslVerify(root.cert, leaf.cert).ok).toBe(false);
    expectCheck(rejects(leaf.pem, anchors(root)), 'unknown-issuer');
  });

  test('a certificate "issued" by a leaf without CA:TRUE → issuer-not-ca (openssl agrees)', () => {
    const root = pki.root('notca-root');
    const leaf1 = pki.issue('notca-leaf1', root);
    const leaf2 = pki.issue('notca-leaf2', leaf1);
    expect(opensslVerify(root.cert, leaf2.cert, leaf1.cert)).toMatchObject({ ok: false, error: expect.stringContaining('invalid CA certificate') });
    const e = rejects(chainOf(leaf2, leaf1), anchors(root));
    expect(e).toBeInstanceOf(IssuerNotCaError);
    expectCheck(e, 'issuer-not-ca');
    expect(e.message).toContain('notca-leaf1');
  });

  test('an anchor that is not a CA (a leaf put into the CA file) → issuer-not-ca', () => {
    const root = pki.root('notca2-root');
    const leaf1 = pki.issue('notca2-leaf1', root);
    const leaf2 = pki.issue('notca2-leaf2', leaf1);
    expectCheck(rejects(leaf2.pem, anchors(leaf1)), 'issuer-not-ca');
  });

  test('a CA whose keyUsage lacks keyCertSign → issuer-not-ca (openssl agrees)', () => {
    const root = pki.root('nocertsign-root', { ext: EXT.caNoCertSign });
    const leaf = pki.issue('nocertsign-leaf', root);
    expect(opensslVerify(root.cert, leaf.cert).ok).toBe(false);
    expectCheck(rejects(leaf.pem, anchors(root)), 'issuer-not-ca');
  });

  test('a same-name CA with a different key → bad-cert-signature (openssl agrees)', () => {
    const real = pki.root('same-name-real', { subj: '/CN=Manifest rootCA' });
    const impostor = pki.root('same-name-impostor', { subj: '/CN=Manifest rootCA' });
    const leaf = pki.issue('same-name-leaf', real);
    expect(opensslVerify(impostor.cert, leaf.cert).ok).toBe(false);
    const e = rejects(leaf.pem, anchors(impostor));
    expect(e).toBeInstanceOf(BadCertSignatureError);
    expectCheck(e, 'bad-cert-signature');
    // ...and with both in the bundle, the real one is used.
    const used = verifyChain({ chain: leaf.pem, anchors: anchors(impostor, real) }).anchor;
    expect(used.fingerprint256).toBe(parseCertificates(real.pem)[0].fingerprint256);
  });

  test('a same-name intermediate with a different key → bad-cert-signature', () => {
    const root = pki.root('same-int-root');
    const real = pki.issue('same-int-real', root, { subj: '/CN=Intermediate', ext: EXT.intermediate });
    const fake = pki.issue('same-int-fake', root, { subj: '/CN=Intermediate', ext: EXT.intermediate });
    const leaf = pki.issue('same-int-leaf', real);
    expectCheck(rejects(chainOf(leaf, fake), anchors(root)), 'bad-cert-signature');
  });

  test('a leaf whose signature bytes were altered → bad-cert-signature (openssl agrees)', () => {
    const root = pki.root('tamper-root');
    const leaf = pki.issue('tamper-leaf', root);
    const der = parseCertificates(leaf.pem)[0].der;
    const bad = Buffer.from(der);
    bad[bad.length - 10] ^= 0x01; // inside the signature BIT STRING
    const pem = `-----BEGIN CERTIFICATE-----\n${bad.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    const f = pki.path('tamper-leaf-bad.pem');
    writeFileSync(f, pem);
    expect(opensslVerify(root.cert, f).ok).toBe(false);
    expectCheck(rejects(pem, anchors(root)), 'bad-cert-signature');
  });

  test('an intermediate with pathlen:0 followed by another intermediate → path-length (openssl agrees)', () => {
    const root = pki.root('pl-root');
    const i1 = pki.issue('pl-i1', root, { ext: EXT.caPathLen0 });
    const i2 = pki.issue('pl-i2', i1, { ext: EXT.intermediate });
    const leaf = pki.issue('pl-leaf', i2);
    expect(opensslVerify(root.cert, leaf.cert, pki.bundle('pl-ints.pem', i2, i1))).toMatchObject({
      ok: false,
      error: expect.stringContaining('path length constraint exceeded'),
    });
    const e = rejects(chainOf(leaf, i2, i1), anchors(root));
    expect(e).toBeInstanceOf(PathLengthError);
    expectCheck(e, 'path-length');
    expect(e.message).toContain('pl-i1');
  });

  test('a root with pathlen:0 above an intermediate → path-length', () => {
    const root = pki.root('plr-root', { ext: EXT.caPathLen0 });
    const int = pki.issue('plr-int', root, { ext: EXT.intermediate });
    const leaf = pki.issue('plr-leaf', int);
    expect(opensslVerify(root.cert, leaf.cert, int.cert).ok).toBe(false);
    expectCheck(rejects(chainOf(leaf, int), anchors(root)), 'path-length');
  });

  test('a leaf whose keyUsage lacks digitalSignature → key-usage', () => {
    const root = pki.root('ku-root');
    const leaf = pki.issue('ku-leaf', root, { ext: EXT.leafNoDigitalSignature });
    const e = rejects(leaf.pem, anchors(root));
    expect(e).toBeInstanceOf(KeyUsageError);
    expectCheck(e, 'key-usage');
  });

  test('a leaf whose extKeyUsage lacks codeSigning → key-usage', () => {
    const root = pki.root('eku-root');
    const leaf = pki.issue('eku-leaf', root, { ext: EXT.leafServerAuth });
    expectCheck(rejects(leaf.pem, anchors(root)), 'key-usage');
  });

  test.each([
    ['no PEM at all', 'this is not a certificate\n'],
    ['a CERTIFICATE block that is not base64', '-----BEGIN CERTIFICATE-----\n!!!! not base64 ????\n-----END CERTIFICATE-----\n'],
    ['a CERTIFICATE block that is not DER', `-----BEGIN CERTIFICATE-----\n${Buffer.from('garbage garbage garbage').toString('base64')}\n-----END CERTIFICATE-----\n`],
    ['only a private key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ['an empty file', ''],
  ])('garbage PEM (%s) → bad-pem', (_what, text) => {
    const root = pki.root('garbage-root', { kind: 'ec256' });
    expectCheck(rejects(text, anchors(root)), 'bad-pem');
  });

  test('a truncated certificate → bad-pem', () => {
    const root = pki.root('trunc-root');
    const leaf = pki.issue('trunc-leaf', root);
    const der = parseCertificates(leaf.pem)[0].der.subarray(0, 300);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expectCheck(rejects(pem, anchors(root)), 'bad-pem');
  });

  test('an empty CA file → bad-pem, naming the file', () => {
    const f = pki.path('empty-ca.pem');
    writeFileSync(f, '');
    const e = trustErrorOfSync(() => loadTrustAnchors({ caPath: f }));
    expectCheck(e, 'bad-pem');
    expect(e.message).toContain(f);
  });
});
