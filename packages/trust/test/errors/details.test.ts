import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKeyset, assertProduct, parseCertificates, projectInfo, TrustError, verifyChain, type Cert } from '@mos/trust';

// Errors carry structured facts (style.md §4) so the API and progress streams can report them.
let dir: string;
let leaf: Cert;
let ca: Cert;
let product: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mos-trust-details-'));
  await addKeyset({ name: 'k', dir });
  const proj = await projectInfo({ keyset: 'k', project: 'default', dir });
  product = proj.uuid;
  [leaf] = parseCertificates(readFileSync(join(proj.dir, 'cert.pem')));
  [ca] = parseCertificates(readFileSync(join(dir, 'k', 'manifest-ca', 'cert.pem')));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

const caught = (f: () => unknown): TrustError => {
  try {
    f();
  } catch (e) {
    return e as TrustError;
  }
  throw new Error('did not throw');
};

test('product-mismatch says expected and actual', () => {
  const e = caught(() => assertProduct(leaf, 'other'));
  expect(e.details).toEqual({ expected: 'other', actual: product, subject: `manifest PRODUCT:${product}` });
  expect(e.toJSON()).toMatchObject({ code: 'ERR_TRUST_PRODUCT_MISMATCH', check: 'product-mismatch', details: { expected: 'other', actual: product } });
});

test('expired names the certificate and the validity window', () => {
  const now = new Date(Date.UTC(2200, 0, 1));
  const e = caught(() => verifyChain({ chain: [leaf], anchors: { roots: [ca] }, now }));
  expect(e.code).toBe('ERR_TRUST_EXPIRED');
  expect(e.details).toMatchObject({
    certificate: { subject: `manifest PRODUCT:${product}`, fingerprint256: leaf.fingerprint256, serial: leaf.serialHex },
    notAfter: leaf.notAfter.toISOString(),
    now: now.toISOString(),
  });
});

test('unknown-issuer names the issuer and the bundle', () => {
  const e = caught(() => verifyChain({ chain: [leaf], anchors: { roots: [leaf], source: '/x/ca.pem' } }));
  expect(e.code).toBe('ERR_TRUST_UNKNOWN_ISSUER');
  expect(e.details).toMatchObject({ issuer: expect.stringContaining('Manifest rootCA'), caBundle: '/x/ca.pem' });
});
