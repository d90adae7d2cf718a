import { createHash, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { OID } from '../x509/certificate';

/** A PEM key pair: PKCS#8 private key and SPKI public key. */
export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A freshly generated RSA-2048 key pair (node:crypto is much faster than forge here). */
export async function generateRsaKeyPair(): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** One subject attribute by short name (`CN`, `O`, `OU`) or OID. */
export type NameAttr = { shortName: 'CN' | 'O' | 'OU' | 'C'; value: string } | { type: string; value: string };

/** What a certificate says; the issuer signs it (self-signed when `issuer` is absent). */
export interface CertSpec {
  subject: NameAttr[];
  keys: KeyPairPem;
  issuer?: { certPem: string; privateKeyPem: string };
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  keyUsage: { digitalSignature?: boolean; keyEncipherment?: boolean; dataEncipherment?: boolean; keyCertSign?: boolean; cRLSign?: boolean };
  extKeyUsage?: string[];
}

/**
 * Builds and signs an X.509 v3 certificate (SHA-256 with RSA) the way the original's keysets
 * are made: a random positive 128-bit serial, SubjectKeyId = SHA-1 of the PKIX public key,
 * AuthorityKeyId = the issuer's SubjectKeyId. Returns PEM.
 */
export function buildCertificate(spec: CertSpec): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.keys.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const subject = spec.subject.map(withStringType);
  cert.setSubject(subject);
  const issuerCert = spec.issuer ? forge.pki.certificateFromPem(spec.issuer.certPem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes.map(decodedValue) : subject);

  const ski = keyIdentifier(spec.keys.publicKeyPem);
  const aki = spec.issuer ? keyIdentifier(publicKeyOfCert(spec.issuer.certPem)) : ski;
  const eku = spec.extKeyUsage ?? [];
  cert.setExtensions([
    { name: 'basicConstraints', cA: spec.ca, critical: true },
    { name: 'keyUsage', critical: true, ...spec.keyUsage },
    ...(eku.length ? [{ name: 'extKeyUsage', ...Object.fromEntries(eku.map((o) => [EKU_NAMES[o] ?? o, true])) }] : []),
    { id: '2.5.29.14', value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, ski) },
    { name: 'authorityKeyIdentifier', keyIdentifier: aki },
  ]);
  const signer = forge.pki.privateKeyFromPem(spec.issuer?.privateKeyPem ?? spec.keys.privateKeyPem);
  cert.sign(signer, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** The characters a PrintableString may hold (X.680); anything else needs a UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * PrintableString when the value allows it, else UTF8String (what Go's crypto/x509, and so the
 * original, writes). forge would otherwise put any text, `_`, `&` and non-ASCII included, into
 * a PrintableString, which strict parsers reject.
 */
function withStringType(a: NameAttr): forge.pki.CertificateField {
  const valueTagClass = PRINTABLE.test(a.value) ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8;
  return { ...a, valueTagClass: valueTagClass as unknown as forge.asn1.Class };
}

/** forge parses UTF8String values as raw UTF-8 bytes but encodes them again on write: decode once. */
function decodedValue(a: forge.pki.CertificateField): forge.pki.CertificateField {
  return (a.valueTagClass as unknown) === forge.asn1.Type.UTF8 ? { ...a, value: forge.util.decodeUtf8(String(a.value)) } : a;
}

const EKU_NAMES: Record<string, string> = {
  [OID.codeSigning]: 'codeSigning',
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
};

/** SHA-1 of the DER SubjectPublicKeyInfo, as a forge binary string. */
function keyIdentifier(publicKeyPem: string): string {
  const spki = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest('binary');
}

const publicKeyOfCert = (certPem: string) => createPublicKey(certPem).export({ type: 'spki', format: 'pem' }).toString();

/** 128 random bits as a positive DER INTEGER (a leading 00 when the top bit is set). */
function randomSerialHex(): string {
  const b = randomBytes(16);
  return (b[0] & 0x80 ? '00' : '') + b.toString('hex');
}

/** `years` after `from`, same month/day/time (the original's AddDate(years, 0, 0)). */
export function addYears(from: Date, years: number): Date {
  const d = new Date(from);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}
