import {
  BadCertSignatureError,
  ExpiredError,
  IssuerNotCaError,
  KeyUsageError,
  NotYetValidError,
  PathLengthError,
  RevokedError,
  UnknownIssuerError,
} from '../errors';
import { OID, parseCertificates, type Cert } from '../x509/certificate';
import { revocationReason, type RevocationList } from './revocation';

/** The CA certificates a host trusts for manifests, and what it has revoked. */
export interface TrustAnchors {
  roots: Cert[];
  revocation?: RevocationList;
  /** Where the roots came from, for messages. */
  source?: string;
}

/** A chain that verified: the leaf, any intermediates, and the CA certificate it ends at. */
export interface VerifiedChain {
  leaf: Cert;
  intermediates: Cert[];
  anchor: Cert;
}

const MAX_DEPTH = 8;

/** What the leaf is for, checked against its extKeyUsage when it has one. */
export type ChainPurpose = 'codeSigning' | 'clientAuth' | 'serverAuth';
const PURPOSE_WORDS: Record<ChainPurpose, string> = { codeSigning: 'code signing', clientAuth: 'TLS client use', serverAuth: 'TLS server use' };

/**
 * Verifies a leaf certificate (optionally followed by intermediates, as in a `SHA.pem`) up to
 * one of the trusted CA certificates: each link's signature, validity at `now`, the CA flag
 * and keyCertSign on every issuer, path length constraints, the leaf's keyUsage
 * (digitalSignature) and extKeyUsage (`purpose`, default codeSigning) when present, and revocation.
 *
 * @example
 * import { verifyChain, loadTrustAnchors } from '@mos/trust';
 * const chain = verifyChain({ chain: fs.readFileSync('SHA.pem'), anchors: loadTrustAnchors({ caPath }) });
 */
export function verifyChain(opts: { chain: Cert[] | string | Buffer; anchors: TrustAnchors; now?: Date; purpose?: ChainPurpose }): VerifiedChain {
  const certs = Array.isArray(opts.chain) ? opts.chain : parseCertificates(opts.chain, 'signing certificate');
  const now = opts.now ?? new Date();
  const [leaf, ...pool] = certs;
  const { path, anchor } = buildPath(leaf, pool, opts.anchors);

  for (const c of [...path, anchor]) checkValidity(c, now);
  const issuers = [...path.slice(1), anchor];
  issuers.forEach((ca, i) => {
    if (!ca.basicConstraints?.ca) throw new IssuerNotCaError(`${describe(ca)} is not a CA certificate but issued ${describe(path[i])}`, { details: { issuer: facts(ca), certificate: facts(path[i]) } });
    if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) {
      throw new IssuerNotCaError(`${describe(ca)} may not sign certificates (keyUsage lacks keyCertSign)`, { details: { issuer: facts(ca) } });
    }
    const below = i; // intermediates strictly between this issuer and the leaf
    if (ca.basicConstraints.pathLen !== undefined && below > ca.basicConstraints.pathLen) {
      throw new PathLengthError(`${describe(ca)} allows ${ca.basicConstraints.pathLen} intermediate(s) below it, the chain has ${below}`, {
        details: { issuer: facts(ca), pathLen: ca.basicConstraints.pathLen, below },
      });
    }
  });
  if (leaf.keyUsage && !leaf.keyUsage.has('digitalSignature')) {
    throw new KeyUsageError(`${describe(leaf)} may not make signatures (keyUsage lacks digitalSignature)`, { details: { certificate: facts(leaf), keyUsage: [...leaf.keyUsage] } });
  }
  const purpose = opts.purpose ?? 'codeSigning';
  if (leaf.extKeyUsage && !leaf.extKeyUsage.some((u) => u === OID[purpose] || u === OID.anyExtendedKeyUsage)) {
    throw new KeyUsageError(`${describe(leaf)} is not for ${PURPOSE_WORDS[purpose]} (extKeyUsage lacks ${purpose})`, { details: { certificate: facts(leaf), extKeyUsage: leaf.extKeyUsage } });
  }
  if (opts.anchors.revocation) {
    for (const c of path) {
      const why = revocationReason(opts.anchors.revocation, c);
      if (why) throw new RevokedError(`${describe(c)} is revoked: ${why}`, { details: { certificate: facts(c), source: opts.anchors.revocation.source } });
    }
  }
  return { leaf, intermediates: path.slice(1), anchor };
}

function buildPath(leaf: Cert, pool: Cert[], anchors: TrustAnchors): { path: Cert[]; anchor: Cert } {
  const path = [leaf];
  const unused = [...pool];
  for (let cur = leaf; path.length <= MAX_DEPTH; ) {
    const roots = anchors.roots.filter((r) => r.subjectDer.equals(cur.issuerDer));
    if (roots.length) {
      const anchor = roots.find((r) => signedBy(cur, r));
      if (!anchor) throw new BadCertSignatureError(`the signature on ${describe(cur)} does not verify under the CA ${describe(roots[0])}`, { details: { certificate: facts(cur), issuer: facts(roots[0]) } });
      return { path, anchor };
    }
    const k = unused.findIndex((c) => c.subjectDer.equals(cur.issuerDer));
    if (k < 0) {
      throw new UnknownIssuerError(
        `${describe(cur)} was issued by "${issuerName(cur)}", which is not in the CA bundle${anchors.source ? ` ${anchors.source}` : ''}`,
        { details: { certificate: facts(cur), issuer: issuerName(cur), caBundle: anchors.source } },
      );
    }
    const [next] = unused.splice(k, 1);
    if (!signedBy(cur, next)) throw new BadCertSignatureError(`the signature on ${describe(cur)} does not verify under ${describe(next)}`, { details: { certificate: facts(cur), issuer: facts(next) } });
    path.push(next);
    cur = next;
  }
  throw new UnknownIssuerError(`the chain is longer than ${MAX_DEPTH} certificates`);
}

function signedBy(cert: Cert, issuer: Cert): boolean {
  try {
    return cert.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function checkValidity(c: Cert, now: Date): void {
  const details = { certificate: facts(c), notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), now: now.toISOString() };
  if (now < c.notBefore) throw new NotYetValidError(`${describe(c)} is not valid before ${c.notBefore.toISOString()}`, { details });
  if (now > c.notAfter) throw new ExpiredError(`${describe(c)} expired at ${c.notAfter.toISOString()}`, { details });
}

/** What an error says about a certificate, for machines. */
const facts = (c: Cert) => ({ subject: c.commonName ?? c.x509.subject, fingerprint256: c.fingerprint256, serial: c.serialHex });
const describe = (c: Cert) => `certificate "${c.commonName ?? c.x509.subject.replace(/\n/g, ', ')}"`;
const issuerName = (c: Cert) => c.x509.issuer.replace(/\n/g, ', ');
