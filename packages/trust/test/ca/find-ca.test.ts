import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_LOCATIONS, findManifestCA, loadTrustAnchors, revocationPathFor, verifyChain } from '@mos/trust';
import { codeAndCheck, trustErrorOfSync } from '../helpers/errors';
import { opensslFingerprintAndSerial, Pki, type Issued } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// CA discovery on a host with root R: an explicit path wins (the original searched fixed
// absolute paths before the caller's -- its BUG 14); then R/factory/secure/manifestCA.pem,
// then R/manifestCA.pem (the initrd's copy).

const tmp = tempDirs();
let pki: Pki;
let factoryCa: Issued;
let initrdCa: Issued;
let explicitCa: Issued;

const NO_CA = { code: 'ERR_TRUST_NO_CA', check: 'no-ca' };

/** A fresh host root with the given CA files in place. */
function host(files: { factory?: Issued; initrd?: Issued }): string {
  const r = tmp();
  if (files.factory) {
    mkdirSync(join(r, 'factory', 'secure'), { recursive: true });
    copyFileSync(files.factory.cert, join(r, 'factory', 'secure', 'manifestCA.pem'));
  }
  if (files.initrd) copyFileSync(files.initrd.cert, join(r, 'manifestCA.pem'));
  return r;
}

beforeAll(() => {
  pki = new Pki(tmp());
  factoryCa = pki.root('factory-ca', { kind: 'ec256' });
  initrdCa = pki.root('initrd-ca', { kind: 'ec256' });
  explicitCa = pki.root('explicit-ca', { kind: 'ec256' });
});

test('the locations, in order', () => {
  expect(CA_LOCATIONS).toEqual(['factory/secure/manifestCA.pem', 'manifestCA.pem']);
});

test('an explicit path wins even when R/factory/secure/manifestCA.pem and R/manifestCA.pem exist', () => {
  const r = host({ factory: factoryCa, initrd: initrdCa });
  expect(findManifestCA({ root: r, explicit: explicitCa.cert })).toBe(explicitCa.cert);
  expect(loadTrustAnchors({ caPath: findManifestCA({ root: r, explicit: explicitCa.cert }) }).roots[0].commonName).toBe('explicit-ca');
});

test('then R/factory/secure/manifestCA.pem, before R/manifestCA.pem', () => {
  const r = host({ factory: factoryCa, initrd: initrdCa });
  expect(findManifestCA({ root: r })).toBe(join(r, 'factory/secure/manifestCA.pem'));
  expect(loadTrustAnchors({ caPath: findManifestCA({ root: r }) }).roots[0].commonName).toBe('factory-ca');
});

test('then R/manifestCA.pem', () => {
  const r = host({ initrd: initrdCa });
  expect(findManifestCA({ root: r })).toBe(join(r, 'manifestCA.pem'));
});

test('none → ERR_TRUST_NO_CA, naming what was tried', () => {
  const r = host({});
  const e = trustErrorOfSync(() => findManifestCA({ root: r }));
  expect(codeAndCheck(e)).toEqual(NO_CA);
  expect(e.message).toContain(join(r, 'factory/secure/manifestCA.pem'));
  expect(e.message).toContain(join(r, 'manifestCA.pem'));
});

test('an explicit path that does not exist → ERR_TRUST_NO_CA, even when R has a CA (no silent fallback)', () => {
  const r = host({ factory: factoryCa, initrd: initrdCa });
  const e = trustErrorOfSync(() => findManifestCA({ root: r, explicit: join(r, 'nope.pem') }));
  expect(codeAndCheck(e)).toEqual(NO_CA);
  expect(codeAndCheck(trustErrorOfSync(() => loadTrustAnchors({ caPath: join(r, 'nope.pem') })))).toEqual(NO_CA);
});

test('an empty explicit path is an error, not a reason to fall back to R', () => {
  const r = host({ factory: factoryCa });
  expect(codeAndCheck(trustErrorOfSync(() => findManifestCA({ root: r, explicit: '' })))).toEqual(NO_CA);
});

test('revocationPathFor: manifestCA.pem → manifestCA.revoked', () => {
  expect(revocationPathFor('/R/factory/secure/manifestCA.pem')).toBe('/R/factory/secure/manifestCA.revoked');
  expect(revocationPathFor('/R/ca.crt')).toBe('/R/ca.revoked');
  expect(revocationPathFor('/R/ca')).toBe('/R/ca.revoked');
});

test.each([
  ['R/factory/secure', { factory: true }],
  ['R (the initrd copy)', { factory: false }],
])('the revocation file next to the CA found in %s is applied', (_where, { factory }) => {
  const ca = factory ? factoryCa : initrdCa;
  const r = host(factory ? { factory: ca } : { initrd: ca });
  const leaf = pki.issue(`revoked-under-${factory ? 'factory' : 'initrd'}`, ca, { kind: 'ec256' });
  const caPath = findManifestCA({ root: r });
  expect(verifyChain({ chain: leaf.pem, anchors: loadTrustAnchors({ caPath }) }).leaf.commonName).toBe(leaf.name);
  const revoked = join(r, ...(factory ? ['factory', 'secure'] : []), 'manifestCA.revoked');
  writeFileSync(revoked, `${opensslFingerprintAndSerial(leaf.cert).fingerprint}\n`);
  const anchors = loadTrustAnchors({ caPath });
  expect(anchors.revocation?.source).toBe(revoked);
  const e = trustErrorOfSync(() => verifyChain({ chain: leaf.pem, anchors }));
  expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_REVOKED', check: 'revoked' });
});
