import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl } from './openssl';

/** Key types the tests make with `openssl genpkey`. */
export type KeyKind = 'rsa2048' | 'rsa1024' | 'ec256' | 'ec384';

const GENPKEY: Record<KeyKind, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  ec256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ec384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
};

/** Extension sections (openssl config syntax), one line each. */
export const EXT = {
  ca: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'],
  caPathLen0: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
  intermediate: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
  /** A CA flag but a keyUsage that does not allow signing certificates. */
  caNoCertSign: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash'],
  leaf: ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
  leafNoDigitalSignature: ['basicConstraints=CA:FALSE', 'keyUsage=critical,keyEncipherment', 'extendedKeyUsage=codeSigning'],
  leafServerAuth: ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth'],
  leafAnyEku: ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=anyExtendedKeyUsage'],
  /** No keyUsage and no extKeyUsage at all: allowed (the checks apply only when present). */
  leafBare: ['basicConstraints=CA:FALSE'],
} as const;

/** A certificate and its key, as files (and the PEM text of the certificate). */
export interface Issued {
  name: string;
  cert: string;
  key: string;
  pem: string;
}

const REQ_CONFIG = '[req]\ndistinguished_name = dn\n[dn]\n';

/**
 * A scratch PKI in a directory, every key and certificate made by the `openssl` CLI:
 * `openssl req -x509` roots, `openssl x509 -req -CA` for issued certs, and (see {@link OpenSslCa})
 * `openssl ca` for dated certificates and CRLs.
 */
export class Pki {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  key(name: string, kind: KeyKind = 'rsa2048'): string {
    const out = this.path(`${name}.key`);
    openssl(['genpkey', ...GENPKEY[kind], '-out', out]);
    return out;
  }

  /** The SubjectPublicKeyInfo PEM of a key or certificate file. */
  publicKey(name: string, from: string): string {
    const out = this.path(`${name}.pub`);
    if (readFileSync(from, 'latin1').includes('CERTIFICATE')) openssl(['x509', '-in', from, '-noout', '-pubkey', '-out', out]);
    else openssl(['pkey', '-in', from, '-pubout', '-out', out]);
    return out;
  }

  private config(name: string, ext: readonly string[]): string {
    const f = this.path(`${name}.cnf`);
    writeFileSync(f, `${REQ_CONFIG}[ext]\n${ext.join('\n')}\n`);
    return f;
  }

  private csr(name: string, key: string, subj: string): string {
    const out = this.path(`${name}.csr`);
    openssl(['req', '-new', '-utf8', '-key', key, '-subj', subj, '-config', this.config(`${name}-req`, []), '-out', out]);
    return out;
  }

  /** A self-signed root with `openssl req -x509`. */
  root(name: string, opts: { subj?: string; kind?: KeyKind; key?: string; ext?: readonly string[]; days?: number } = {}): Issued {
    const key = opts.key ?? this.key(name, opts.kind);
    const cert = this.path(`${name}.pem`);
    openssl([
      'req', '-x509', '-new', '-key', key, '-subj', opts.subj ?? `/CN=${name}`, '-days', String(opts.days ?? 3650), '-sha256',
      '-config', this.config(name, opts.ext ?? EXT.ca), '-extensions', 'ext', '-out', cert,
    ]);
    return { name, cert, key, pem: readFileSync(cert, 'utf8') };
  }

  /** A certificate issued by `issuer` with `openssl x509 -req -CA ... -extfile`. */
  issue(
    name: string,
    issuer: Issued,
    opts: { subj?: string; kind?: KeyKind; key?: string; ext?: readonly string[]; days?: number; serial?: string } = {},
  ): Issued {
    const key = opts.key ?? this.key(name, opts.kind);
    const cert = this.path(`${name}.pem`);
    openssl([
      'x509', '-req', '-in', this.csr(name, key, opts.subj ?? `/CN=${name}`), '-CA', issuer.cert, '-CAkey', issuer.key,
      ...(opts.serial ? ['-set_serial', opts.serial] : ['-CAcreateserial', '-CAserial', this.path(`${issuer.name}.srl`)]),
      '-days', String(opts.days ?? 365), '-sha256', '-extfile', this.config(name, opts.ext ?? EXT.leaf), '-extensions', 'ext', '-out', cert,
    ]);
    return { name, cert, key, pem: readFileSync(cert, 'utf8') };
  }

  /** Writes the concatenation of PEM files (a `SHA.pem` with intermediates, a CA bundle). */
  bundle(name: string, ...parts: Issued[]): string {
    const f = this.path(name);
    writeFileSync(f, parts.map((p) => p.pem).join(''));
    return f;
  }

  /** An `openssl ca` database in `<dir>/<name>-ca/`, see {@link OpenSslCa}. */
  opensslCa(name: string): OpenSslCa {
    return new OpenSslCa(this, name);
  }
}

/**
 * A minimal `openssl ca` setup (config, index.txt, serial, crlnumber) for certificates with
 * explicit `-startdate`/`-enddate`, `-revoke` and `-gencrl`.
 */
export class OpenSslCa {
  readonly dir: string;
  readonly cnf: string;
  ca!: Issued;

  constructor(private readonly pki: Pki, readonly name: string) {
    this.dir = pki.path(`${name}-ca`);
    mkdirSync(join(this.dir, 'newcerts'), { recursive: true });
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '1000\n');
    writeFileSync(join(this.dir, 'crlnumber'), '1000\n');
    this.cnf = join(this.dir, 'ca.cnf');
    const sections = Object.entries(EXT).map(([k, lines]) => `[ext_${k}]\n${lines.join('\n')}\n`);
    writeFileSync(
      this.cnf,
      [
        '[ca]\ndefault_ca = CA_default\n',
        `[CA_default]\ndir = ${this.dir}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/newcerts\nserial = $dir/serial\n` +
          'crlnumber = $dir/crlnumber\ndefault_md = sha256\npolicy = policy_any\nunique_subject = no\nemail_in_dn = no\n' +
          'copy_extensions = none\ndefault_days = 365\ndefault_crl_days = 30\n',
        '[policy_any]\ncommonName = supplied\n',
        REQ_CONFIG,
        ...sections,
      ].join('\n'),
    );
  }

  private csr(name: string, key: string, subj: string): string {
    const out = this.pki.path(`${name}.csr`);
    openssl(['req', '-new', '-utf8', '-key', key, '-subj', subj, '-config', this.cnf, '-out', out]);
    return out;
  }

  /** The CA itself, self-signed with `openssl ca -selfsign` and explicit dates (YYYYMMDDHHMMSSZ). */
  selfSign(opts: { subj?: string; kind?: KeyKind; startdate: string; enddate: string }): Issued {
    const key = this.pki.key(this.name, opts.kind);
    const cert = this.pki.path(`${this.name}.pem`);
    const csr = this.csr(this.name, key, opts.subj ?? `/CN=${this.name}`);
    openssl([
      'ca', '-batch', '-config', this.cnf, '-selfsign', '-keyfile', key, '-in', csr, '-startdate', opts.startdate,
      '-enddate', opts.enddate, '-extensions', 'ext_ca', '-notext', '-out', cert,
    ]);
    this.ca = { name: this.name, cert, key, pem: readFileSync(cert, 'utf8') };
    return this.ca;
  }

  /** Uses an existing CA (e.g. one made by `openssl req -x509`). */
  use(ca: Issued): this {
    this.ca = ca;
    return this;
  }

  /** A certificate with explicit validity, issued by `openssl ca`. */
  issue(name: string, opts: { subj?: string; kind?: KeyKind; startdate: string; enddate: string; ext?: keyof typeof EXT }): Issued {
    const key = this.pki.key(name, opts.kind);
    const cert = this.pki.path(`${name}.pem`);
    openssl([
      'ca', '-batch', '-config', this.cnf, '-cert', this.ca.cert, '-keyfile', this.ca.key, '-in', this.csr(name, key, opts.subj ?? `/CN=${name}`),
      '-startdate', opts.startdate, '-enddate', opts.enddate, '-extensions', `ext_${opts.ext ?? 'leaf'}`, '-notext', '-out', cert,
    ]);
    return { name, cert, key, pem: readFileSync(cert, 'utf8') };
  }

  /** `openssl ca -revoke`. */
  revoke(cert: Issued): void {
    openssl(['ca', '-config', this.cnf, '-cert', this.ca.cert, '-keyfile', this.ca.key, '-revoke', cert.cert]);
  }

  /** `openssl ca -gencrl`: the PEM text of a CRL of everything revoked so far. */
  gencrl(): string {
    const out = join(this.dir, 'crl.pem');
    openssl(['ca', '-config', this.cnf, '-cert', this.ca.cert, '-keyfile', this.ca.key, '-gencrl', '-out', out]);
    return readFileSync(out, 'utf8');
  }
}

/** `openssl dgst -sha256 -sign key -out sig file`: the raw signature bytes. */
export function opensslSign(keyFile: string, file: string, sigFile = `${file}.sig`): Buffer {
  openssl(['dgst', '-sha256', '-sign', keyFile, '-out', sigFile, file]);
  return readFileSync(sigFile);
}

/** `openssl dgst -sha256 -verify pub -signature sig file`: whether openssl accepts it. */
export function opensslVerifySignature(pubFile: string, sigFile: string, file: string): boolean {
  try {
    return openssl(['dgst', '-sha256', '-verify', pubFile, '-signature', sigFile, file]).includes('Verified OK');
  } catch {
    return false;
  }
}

/** The certificate's SHA-256 fingerprint and serial as openssl prints them (`AB:CD:...`, `0A1B`). */
export function opensslFingerprintAndSerial(certFile: string): { fingerprint: string; serial: string } {
  const out = openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256', '-serial']);
  return {
    fingerprint: out.match(/Fingerprint=([0-9A-F:]+)/i)![1],
    serial: out.match(/serial=([0-9A-F]+)/i)![1],
  };
}
