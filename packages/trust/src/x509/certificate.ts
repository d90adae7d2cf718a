import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { BadPemError } from '../errors';
import { children, content, encoded, expect, integerHex, oid, readNode, time, TAG, type Node } from '../lib/der';
import { splitPem } from './pem';

/** keyUsage bits we act on (RFC 5280 §4.2.1.3 bit numbers). */
export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'dataEncipherment' | 'keyCertSign' | 'cRLSign';
const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyCertSign: 5,
  cRLSign: 6,
};

export const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  organizationalUnitName: '2.5.4.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** A parsed certificate: node's X509Certificate plus the fields it does not expose. */
export interface Cert {
  x509: X509Certificate;
  der: Buffer;
  publicKey: KeyObject;
  /** DER of the subject and issuer Names, compared byte for byte when building chains. */
  subjectDer: Buffer;
  issuerDer: Buffer;
  /** Subject attributes in order, as [oid, value]. */
  subject: [string, string][];
  commonName: string | undefined;
  serialHex: string;
  /** sha256 of the DER, lowercase hex without colons. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  /** Undefined when the certificate has no basicConstraints extension. */
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** Undefined when the certificate has no keyUsage extension. */
  keyUsage?: Set<KeyUsage>;
  /** extKeyUsage OIDs; undefined when the extension is absent. */
  extKeyUsage?: string[];
}

/** Parses one DER certificate. */
export function parseCertificate(der: Buffer, what = 'certificate'): Cert {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (e) {
    throw new BadPemError(`${what}: not a valid X.509 certificate`, { cause: e });
  }
  try {
    return { x509, der, publicKey: x509.publicKey, fingerprint256: sha256hex(der), ...readTbs(der) };
  } catch (e) {
    throw new BadPemError(`${what}: cannot read certificate fields: ${(e as Error).message}`, { cause: e });
  }
}

/** Parses every CERTIFICATE block of a PEM text; at least one must be present. */
export function parseCertificates(pem: string | Buffer, what = 'certificate file'): Cert[] {
  const blocks = splitPem(pem, what).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw new BadPemError(`${what}: no PEM certificate found`);
  return blocks.map((b, i) => parseCertificate(b.der, `${what} (certificate ${i + 1})`));
}

const sha256hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type TbsFields = Omit<Cert, 'x509' | 'der' | 'publicKey' | 'fingerprint256'>;

function readTbs(der: Buffer): TbsFields {
  const cert = expect(readNode(der), TAG.SEQUENCE, 'Certificate');
  const tbs = children(expect(children(cert)[0], TAG.SEQUENCE, 'TBSCertificate'));
  let i = tbs[0].tag === 0xa0 ? 1 : 0; // [0] version is optional
  const serial = expect(tbs[i++], TAG.INTEGER, 'serialNumber');
  i++; // signature AlgorithmIdentifier (repeated outside the TBS; node verifies it)
  const issuer = expect(tbs[i++], TAG.SEQUENCE, 'issuer');
  const [nb, na] = children(expect(tbs[i++], TAG.SEQUENCE, 'validity'));
  const subject = expect(tbs[i++], TAG.SEQUENCE, 'subject');
  const attrs = nameAttributes(subject);
  const out: TbsFields = {
    subjectDer: Buffer.from(encoded(subject)),
    issuerDer: Buffer.from(encoded(issuer)),
    subject: attrs,
    commonName: attrs.filter(([o]) => o === OID.commonName).map(([, v]) => v).pop(),
    serialHex: integerHex(serial),
    notBefore: time(nb),
    notAfter: time(na),
  };
  const ext = tbs.find((n) => n.tag === 0xa3);
  if (ext) readExtensions(children(expect(children(ext)[0], TAG.SEQUENCE, 'extensions')), out);
  return out;
}

function readExtensions(exts: Node[], out: TbsFields): void {
  for (const e of exts) {
    const parts = children(e);
    const id = oid(expect(parts[0], TAG.OID, 'extnID'));
    const value = readNode(content(expect(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue')));
    if (id === OID.basicConstraints) {
      const f = children(value);
      const ca = f[0]?.tag === TAG.BOOLEAN ? content(f[0])[0] !== 0 : false;
      const pl = f.find((n) => n.tag === TAG.INTEGER);
      out.basicConstraints = { ca, ...(pl ? { pathLen: parseInt(integerHex(pl), 16) } : {}) };
    } else if (id === OID.keyUsage) {
      const bits = content(expect(value, TAG.BIT_STRING, 'keyUsage')).subarray(1);
      const set = new Set<KeyUsage>();
      for (const [name, bit] of Object.entries(KEY_USAGE_BITS)) {
        if ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) set.add(name as KeyUsage);
      }
      out.keyUsage = set;
    } else if (id === OID.extKeyUsage) {
      out.extKeyUsage = children(value).map(oid);
    }
  }
}

/** Name ::= SEQUENCE OF SET OF { type, value }, flattened in order. */
export function nameAttributes(name: Node): [string, string][] {
  const out: [string, string][] = [];
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      out.push([oid(type), directoryString(value)]);
    }
  }
  return out;
}

function directoryString(n: Node): string {
  const b = content(n);
  if (n.tag === 0x1e) return Buffer.from(b).swap16().toString('utf16le'); // BMPString is UTF-16BE
  return b.toString(n.tag === 0x0c ? 'utf8' : 'latin1');
}
