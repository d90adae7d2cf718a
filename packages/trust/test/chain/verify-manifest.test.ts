import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  ProductMismatchError,
  assertProduct,
  loadTrustAnchors,
  parseCertificates,
  productOf,
  verifySignedManifest,
  type TrustAnchors,
} from '@mos/trust';
import { codeAndCheck, trustErrorOfSync } from '../helpers/errors';
import { EXT, opensslSign, Pki, type Issued, type KeyKind } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// A signed install manifest as the original's tests hand-craft it: install.json,
// `openssl dgst -sha256 -sign` → install.json.signed, and the signing cert (CN
// `manifest PRODUCT:<uuid>`, possibly followed by an intermediate) as SHA.pem.

const tmp = tempDirs();
let pki: Pki;

interface Signed {
  data: Buffer;
  signature: Buffer;
  certificate: Buffer;
  anchors: TrustAnchors;
  product: string;
}

function signedManifest(name: string, kind: KeyKind, withIntermediate: boolean): Signed {
  const product = randomUUID();
  const root = pki.root(`${name}-root`, { kind });
  let issuer: Issued = root;
  const extra: Issued[] = [];
  if (withIntermediate) {
    issuer = pki.issue(`${name}-int`, root, { kind, ext: EXT.intermediate });
    extra.push(issuer);
  }
  const leaf = pki.issue(`${name}-leaf`, issuer, { kind, subj: `/CN=manifest PRODUCT:${product}` });
  const file = pki.path(`${name}-install.json`);
  const data = Buffer.from(JSON.stringify({ version: 1, product, update_type: 'complete', targets: [] }) + '\n');
  writeFileSync(file, data);
  const signature = opensslSign(leaf.key, file, `${file}.signed`);
  const certificate = readFileSync(pki.bundle(`${name}-SHA.pem`, leaf, ...extra));
  return { data, signature, certificate, anchors: loadTrustAnchors({ caPath: root.cert }), product };
}

beforeAll(() => {
  pki = new Pki(tmp());
});

describe.each<[string, KeyKind, boolean]>([
  ['RSA', 'rsa2048', false],
  ['EC', 'ec256', false],
  ['RSA with an intermediate', 'rsa2048', true],
  ['EC with an intermediate', 'ec256', true],
])('%s', (label, kind, withIntermediate) => {
  let m: Signed;
  beforeAll(() => {
    m = signedManifest(label.replace(/\W+/g, '-'), kind, withIntermediate);
  });

  test('verifies, with and without the product', () => {
    const v = verifySignedManifest({ ...m });
    expect(v.product).toBe(m.product);
    expect(v.intermediates).toHaveLength(withIntermediate ? 1 : 0);
    const { product: _p, ...noProduct } = m;
    expect(verifySignedManifest(noProduct).product).toBe(m.product);
  });

  test('wrong product → product-mismatch', () => {
    const e = trustErrorOfSync(() => verifySignedManifest({ ...m, product: randomUUID() }));
    expect(e).toBeInstanceOf(ProductMismatchError);
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_PRODUCT_MISMATCH', check: 'product-mismatch' });
    expect(e.message).toContain(m.product);
  });

  test('one flipped byte in the manifest → bad-signature', () => {
    for (const at of [0, m.data.length >> 1, m.data.length - 1]) {
      const data = Buffer.from(m.data);
      data[at] ^= 0x20;
      const e = trustErrorOfSync(() => verifySignedManifest({ ...m, data }));
      expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_SIGNATURE', check: 'bad-signature' });
    }
  });

  test('a truncated signature → bad-signature', () => {
    const e = trustErrorOfSync(() => verifySignedManifest({ ...m, signature: m.signature.subarray(0, m.signature.length - 8) }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_SIGNATURE', check: 'bad-signature' });
  });

  test('a signature made by another key of the same kind → bad-signature', () => {
    const other = pki.key(`${label.replace(/\W+/g, '-')}-other`, kind);
    const f = pki.path(`${label.replace(/\W+/g, '-')}-other.json`);
    writeFileSync(f, m.data);
    const e = trustErrorOfSync(() => verifySignedManifest({ ...m, signature: opensslSign(other, f) }));
    expect(e.code).toBe('ERR_TRUST_BAD_SIGNATURE');
  });

  test('garbage PEM as the certificate → bad-pem', () => {
    const e = trustErrorOfSync(() => verifySignedManifest({ ...m, certificate: Buffer.from('-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n') }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_PEM', check: 'bad-pem' });
  });
});

test('the chain is checked before the signature: a valid signature under an unknown CA → unknown-issuer', () => {
  const a = signedManifest('order-a', 'ec256', false);
  const b = signedManifest('order-b', 'ec256', false);
  const e = trustErrorOfSync(() => verifySignedManifest({ ...a, anchors: b.anchors }));
  expect(e.code).toBe('ERR_TRUST_UNKNOWN_ISSUER');
});

test('a certificate without a product CN: fine without --product, product-mismatch with it', () => {
  const root = pki.root('noprod-root');
  const leaf = pki.issue('noprod-leaf', root, { subj: '/CN=just a signer' });
  const file = pki.path('noprod.json');
  writeFileSync(file, '{}\n');
  const m = { data: readFileSync(file), signature: opensslSign(leaf.key, file), certificate: Buffer.from(leaf.pem), anchors: loadTrustAnchors({ caPath: root.cert }) };
  expect(verifySignedManifest(m).product).toBeUndefined();
  const e = trustErrorOfSync(() => verifySignedManifest({ ...m, product: 'default' }));
  expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_PRODUCT_MISMATCH', check: 'product-mismatch' });
});

test('productOf / assertProduct read the CN "manifest PRODUCT:<uuid>" exactly', () => {
  const root = pki.root('cn-root', { kind: 'ec256' });
  const uuid = randomUUID();
  const cert = (cn: string) => parseCertificates(pki.issue(`cn-${cn.replace(/\W+/g, '-')}`, root, { kind: 'ec256', subj: `/CN=${cn}` }).pem)[0];
  expect(productOf(cert(`manifest PRODUCT:${uuid}`))).toBe(uuid);
  expect(productOf(cert(`xmanifest PRODUCT:${uuid}`))).toBeUndefined();
  expect(productOf(cert(`manifest product:${uuid}`))).toBeUndefined();
  expect(() => assertProduct(cert(`manifest PRODUCT:${uuid}`), uuid)).not.toThrow();
  expect(trustErrorOfSync(() => assertProduct(cert(`manifest PRODUCT:${uuid}`), `${uuid}x`)).code).toBe('ERR_TRUST_PRODUCT_MISMATCH');
  // Only the subject CN binds: an O of "manifest PRODUCT:<uuid>" does not.
  const o = parseCertificates(pki.issue('cn-in-o', root, { kind: 'ec256', subj: `/O=manifest PRODUCT:${uuid}/CN=signer` }).pem)[0];
  expect(productOf(o)).toBeUndefined();
});
