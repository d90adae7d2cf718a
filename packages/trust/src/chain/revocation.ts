import { verify } from 'node:crypto';
import { BadRevocationListError } from '../errors';
import { children, content, encoded, expect, integerHex, oid, readNode, TAG } from '../lib/der';
import type { Cert } from '../x509/certificate';
import { splitPem } from '../x509/pem';

/**
 * What a revocation file says. Plain lines name a certificate by its SHA-256 fingerprint
 * (64 hex digits, colons allowed) or its serial number (hex); `X509 CRL` PEM blocks must be
 * signed by one of the CA certificates and revoke serials issued by that CA.
 */
export interface RevocationList {
  source: string;
  fingerprints: Set<string>;
  serials: Set<string>;
  crls: { issuerDer: Buffer; serials: Set<string> }[];
}

const HASH_OF_SIG_ALG: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/**
 * Parses a revocation file. Fails closed: a line that is neither a fingerprint nor a serial,
 * or a CRL that no CA certificate signed, is an error rather than ignored.
 */
export function parseRevocationList(text: string | Buffer, cas: Cert[], source = 'revocation file'): RevocationList {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  const list: RevocationList = { source, fingerprints: new Set(), serials: new Set(), crls: [] };
  for (const block of splitPem(s, source)) {
    if (block.type !== 'X509 CRL') throw new BadRevocationListError(`${source}: unexpected PEM block "${block.type}"`);
    list.crls.push(readCrl(block.der, cas, source));
  }
  const rest = s.replace(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g, '');
  for (const [i, raw] of rest.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const hex = line.replace(/[:\s]/g, '').toLowerCase();
    if (!/^[0-9a-f]+$/.test(hex) || hex.length > 64 || (hex.length > 40 && hex.length !== 64)) {
      throw new BadRevocationListError(`${source}:${i + 1}: expected a SHA-256 fingerprint or a hex serial, got "${line}"`);
    }
    if (hex.length === 64) list.fingerprints.add(hex);
    else list.serials.add(serialKey(hex));
  }
  return list;
}

/** Why `cert` is revoked, or undefined when it is not. */
export function revocationReason(list: RevocationList, cert: Cert): string | undefined {
  if (list.fingerprints.has(cert.fingerprint256)) return `fingerprint ${cert.fingerprint256} is listed in ${list.source}`;
  if (list.serials.has(serialKey(cert.serialHex))) return `serial ${cert.serialHex} is listed in ${list.source}`;
  for (const crl of list.crls) {
    if (crl.issuerDer.equals(cert.issuerDer) && crl.serials.has(cert.serialHex)) {
      return `serial ${cert.serialHex} is revoked by a CRL in ${list.source}`;
    }
  }
  return undefined;
}

/** A serial as compared against serial lines: hex without leading zero digits ("0a1b" and "a1b" are one serial). */
const serialKey = (hex: string) => hex.replace(/^0+(?=.)/, '');

function readCrl(der: Buffer, cas: Cert[], source: string): RevocationList['crls'][number] {
  try {
    const [tbs, alg, sig] = children(expect(readNode(der), TAG.SEQUENCE, 'CertificateList'));
    const f = children(expect(tbs, TAG.SEQUENCE, 'TBSCertList'));
    let i = f[0].tag === TAG.INTEGER ? 1 : 0; // optional version
    i++; // signature algorithm, repeated below
    const issuer = expect(f[i++], TAG.SEQUENCE, 'issuer');
    const issuerDer = Buffer.from(encoded(issuer));
    const revoked = f.find((n, k) => k > i && n.tag === TAG.SEQUENCE);
    const serials = new Set((revoked ? children(revoked) : []).map((e) => integerHex(children(e)[0])));
    const hash = HASH_OF_SIG_ALG[oid(children(alg)[0])];
    if (!hash) throw new Error('unsupported CRL signature algorithm');
    const signature = content(expect(sig, TAG.BIT_STRING, 'signature')).subarray(1);
    const signer = cas.find((ca) => ca.subjectDer.equals(issuerDer) && safeVerify(hash, encoded(tbs), ca, signature));
    if (!signer) throw new Error('it is not signed by any certificate of the CA bundle');
    return { issuerDer, serials };
  } catch (e) {
    if (e instanceof BadRevocationListError) throw e;
    throw new BadRevocationListError(`${source}: bad CRL: ${(e as Error).message}`, { cause: e });
  }
}

function safeVerify(hash: string, data: Buffer, ca: Cert, sig: Buffer): boolean {
  try {
    return verify(hash, data, ca.publicKey, sig);
  } catch {
    return false;
  }
}
