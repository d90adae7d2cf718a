import { readFileSync } from 'node:fs';
import { OID, parseCertificates, splitPem, toPem, verifyChain } from '@mos/trust';
import { codeAndCheck, trustErrorOfSync } from '../helpers/errors';
import { openssl, opensslDates } from '../helpers/openssl';
import { EXT, opensslFingerprintAndSerial, Pki } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// The certificate fields we read ourselves (node's X509Certificate does not expose them),
// compared with what openssl reads from the same files.

const tmp = tempDirs();
let pki: Pki;

beforeAll(() => {
  pki = new Pki(tmp());
});

test.each([
  ['RSA CA', 'rsa2048', EXT.ca, { ca: true }],
  ['EC intermediate with pathlen:0', 'ec256', EXT.caPathLen0, { ca: true, pathLen: 0 }],
  ['RSA code-signing leaf', 'rsa2048', EXT.leaf, { ca: false }],
  ['EC TLS leaf', 'ec256', EXT.leafServerAuth, { ca: false }],
] as const)('%s: serial, fingerprint, validity, basicConstraints, keyUsage, EKU match openssl', (name, kind, ext, bc) => {
  const root = pki.root(`${name}-root`.replace(/\W+/g, '-'), { kind });
  const c = pki.issue(name.replace(/\W+/g, '-'), root, { kind, ext, serial: '0x00F00D', subj: `/CN=${name}/O=Örg ünits` });
  const [cert] = parseCertificates(readFileSync(c.cert));
  const o = opensslFingerprintAndSerial(c.cert);
  expect(cert.fingerprint256).toBe(o.fingerprint.replace(/:/g, '').toLowerCase());
  expect(cert.serialHex).toBe('f00d');
  const d = opensslDates(c.cert);
  expect(cert.notBefore).toEqual(d.notBefore);
  expect(cert.notAfter).toEqual(d.notAfter);
  expect(cert.commonName).toBe(name);
  expect(cert.subject).toEqual([
    [OID.commonName, name],
    ['2.5.4.10', 'Örg ünits'],
  ]);
  expect(cert.basicConstraints).toEqual(bc);
  const text = openssl(['x509', '-in', c.cert, '-noout', '-ext', 'keyUsage,extendedKeyUsage']);
  expect(cert.keyUsage?.has('digitalSignature')).toBe(text.includes('Digital Signature'));
  expect(cert.keyUsage?.has('keyCertSign')).toBe(text.includes('Certificate Sign'));
  expect(cert.extKeyUsage?.includes(OID.codeSigning) ?? false).toBe(text.includes('Code Signing'));
  expect(cert.extKeyUsage?.includes(OID.serverAuth) ?? false).toBe(text.includes('TLS Web Server Authentication'));
});

test('a certificate without extensions: no basicConstraints, keyUsage or EKU', () => {
  const root = pki.root('noext-root');
  const c = pki.issue('noext', root, { ext: ['subjectKeyIdentifier=none'] });
  const [cert] = parseCertificates(c.pem);
  expect(cert.basicConstraints).toBeUndefined();
  expect(cert.keyUsage).toBeUndefined();
  expect(cert.extKeyUsage).toBeUndefined();
});

test('PEM as openssl writes it with -text, with CRLF line ends, and several blocks in order', () => {
  const root = pki.root('pem-root', { kind: 'ec256' });
  const leaf = pki.issue('pem-leaf', root, { kind: 'ec256' });
  const withText = openssl(['x509', '-in', leaf.cert, '-text']);
  expect(withText).toMatch(/^Certificate:/);
  const crlf = root.pem.replace(/\n/g, '\r\n');
  const certs = parseCertificates(withText + crlf);
  expect(certs.map((c) => c.commonName)).toEqual(['pem-leaf', 'pem-root']);
  expect(verifyChain({ chain: withText, anchors: { roots: parseCertificates(crlf) } }).leaf.commonName).toBe('pem-leaf');
  const der = certs[0].der;
  expect(splitPem(toPem('CERTIFICATE', der))).toEqual([{ type: 'CERTIFICATE', der }]);
  expect(toPem('CERTIFICATE', der).split('\n').every((l) => l.length <= 64)).toBe(true);
});

test('a PEM block with bad base64 → bad-pem', () => {
  const e = trustErrorOfSync(() => splitPem('-----BEGIN CERTIFICATE-----\nab$cd\n-----END CERTIFICATE-----\n'));
  expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_PEM', check: 'bad-pem' });
});

test('TrustError.toJSON carries name, code, check and message', () => {
  const e = trustErrorOfSync(() => parseCertificates('nothing'));
  expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'TrustError', code: 'ERR_TRUST_BAD_PEM', check: 'bad-pem', message: e.message });
});
