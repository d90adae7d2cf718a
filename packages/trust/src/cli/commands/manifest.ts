import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findManifestCA, loadTrustAnchors } from '../../ca/find-ca';
import { verifySignedManifest } from '../../chain/verify-manifest';
import { TrustError } from '../../errors';
import { projectInfo } from '../../keyset/project';
import { signFile } from '../../sign/sign';
import type { CommandSpec } from '../kit';
import { required } from '../kit';
import { dir, dirOpt } from './keyset';

/** Prefixes a failed check's name so the one-line error says which check failed. */
export class VerificationFailed extends Error {
  constructor(override readonly cause: TrustError) {
    super(`verification failed (${cause.check}): ${cause.message}`);
  }
}

export const manifestCommands: CommandSpec[] = [
  {
    words: ['manifest', 'sign'],
    summary: "sign a file with a project's manifest key (RSA PKCS#1 v1.5 / SHA-256, like openssl dgst -sha256 -sign)",
    args: '--keyset K --project P [-o SIG] FILE',
    positionals: [1, 1],
    options: {
      ...dirOpt,
      keyset: { type: 'string', arg: 'K', help: 'keyset name' },
      project: { type: 'string', arg: 'P', help: 'project name' },
      output: { type: 'string', short: 'o', arg: 'SIG', help: 'signature file (default FILE.signed)' },
    },
    async run({ values, positionals: [file], out }) {
      const proj = await projectInfo({ keyset: required(values, 'keyset'), project: required(values, 'project'), dir: dir(values) });
      const sig = await signFile({ path: file, key: await readFile(join(proj.dir, 'privkey.pem')) });
      const dest = (values.output as string | undefined) ?? `${file}.signed`;
      await writeFile(`${dest}.tmp`, sig, { mode: 0o640 });
      await rename(`${dest}.tmp`, dest);
      out(`signed ${file} -> ${dest}\n`);
    },
  },
  {
    words: ['manifest', 'verify'],
    summary: 'verify a signed file: certificate chain to the CA, signature, and optionally the product',
    args: '(--ca CA | --root R) --cert CERT --signature SIG [--product ID] [--revoked FILE] [--json] FILE',
    positionals: [1, 1],
    options: {
      ca: { type: 'string', arg: 'CA', help: 'CA bundle (PEM); default: found under --root' },
      root: { type: 'string', arg: 'R', help: 'host root for CA discovery (R/factory/secure/manifestCA.pem, R/manifestCA.pem)' },
      cert: { type: 'string', arg: 'CERT', help: 'signing certificate (PEM), optionally followed by intermediates' },
      signature: { type: 'string', arg: 'SIG', help: 'detached signature (raw bytes)' },
      product: { type: 'string', arg: 'ID', help: 'require the certificate to be bound to this product' },
      revoked: { type: 'string', arg: 'FILE', help: 'revocation file (default: CA path with .revoked)' },
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
    async run({ values, positionals: [file], out }) {
      const caPath = findManifestCA({ explicit: values.ca as string | undefined, root: values.root as string | undefined });
      try {
        const v = verifySignedManifest({
          data: await readFile(file),
          signature: await readFile(required(values, 'signature')),
          certificate: await readFile(required(values, 'cert')),
          anchors: loadTrustAnchors({ caPath, revocationPath: values.revoked as string | undefined }),
          product: values.product as string | undefined,
        });
        const result = { ok: true, file, signer: v.leaf.commonName, product: v.product ?? null, ca: v.anchor.commonName, caPath };
        out(values.json ? JSON.stringify(result) + '\n' : `verified: ${file} signed by "${v.leaf.commonName}" under CA "${v.anchor.commonName}" (${caPath})\n`);
      } catch (e) {
        throw e instanceof TrustError ? new VerificationFailed(e) : e;
      }
    },
  },
];
