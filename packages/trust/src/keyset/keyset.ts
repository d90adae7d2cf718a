import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OID } from '../x509/certificate';
import { addYears, buildCertificate, generateRsaKeyPair, type NameAttr } from './cert-builder';
import { createAtomically, writeKeyDir } from './key-dir';
import { assertSafeName, keysetsDir, type KeysetOptions } from './paths';
import { createProject } from './project';

interface KeySpec {
  dir: string;
  cn: string;
  ca?: boolean;
  years?: number;
  until?: Date;
  guid?: boolean;
  issuer?: string;
}

/** The keys of a keyset, with the original's subjects, validity and usages (§2.10). */
export const KEYSET_KEYS: readonly KeySpec[] = [
  { dir: 'manifest-ca', cn: 'Manifest rootCA', ca: true, years: 25 },
  { dir: 'sudi-ca', cn: 'SUDI rootCA', ca: true, until: new Date(Date.UTC(2099, 11, 31, 23, 0, 0)) },
  { dir: 'uefi-pk', cn: 'UEFI PK', ca: true, years: 50, guid: true },
  { dir: 'uefi-kek', cn: 'UEFI KEK', years: 50, guid: true, issuer: 'uefi-pk' },
  { dir: 'uefi-db', cn: 'UEFI DB', guid: true },
  { dir: 'uki-production', cn: 'UKI Production', guid: true },
  { dir: 'uki-limited', cn: 'UKI Limited', guid: true },
  { dir: 'uki-tpm', cn: 'UKI TPM', guid: true },
  { dir: 'tpmpol-admin', cn: 'TPM EAPolicy Admin' },
  { dir: 'tpmpol-luks', cn: 'TPM EAPolicy LUKS' },
  // mos: the CA of API client certificates (`trust api-client add`); the original had no API.
  { dir: 'api-ca', cn: 'API client rootCA', ca: true, years: 25 },
];

/**
 * Creates keyset `name`: every key of {@link KEYSET_KEYS} (RSA-2048, PKCS#8 `privkey.pem` 0600 +
 * `cert.pem`, `guid` where the original has one) and the project `default`. Refuses an
 * existing keyset. (Bootkit artifacts, ISOs and pcr7data come with the bootkit work.)
 *
 * @example
 * import { addKeyset } from '@mos/trust';
 * await addKeyset({ name: 'demo', orgs: ['Example Inc'], dir: '/tmp/keys' });
 */
export async function addKeyset(opts: KeysetOptions & { name: string; orgs?: string[] }): Promise<string> {
  assertSafeName('keyset', opts.name);
  const dest = join(keysetsDir(opts.dir), opts.name);
  const now = opts.now ?? new Date();
  const org: NameAttr[] = [
    ...(opts.orgs ?? []).map((o): NameAttr => ({ shortName: 'O', value: o })),
    { shortName: 'OU', value: `Project Machine Project ${opts.name}` },
  ];
  await createAtomically(dest, `keyset "${opts.name}"`, async (tmp) => {
    const keys = await Promise.all(KEYSET_KEYS.map(() => generateRsaKeyPair()));
    const certs = new Map<string, { certPem: string; privateKeyPem: string }>();
    for (const [i, k] of KEYSET_KEYS.entries()) {
      const issuer = k.issuer ? certs.get(k.issuer) : undefined;
      const certPem = buildCertificate({
        subject: [{ shortName: 'CN', value: k.cn }, ...org],
        keys: keys[i],
        issuer,
        notBefore: now,
        notAfter: k.until ?? addYears(now, k.years ?? 25),
        ca: !!k.ca,
        keyUsage: k.ca ? { digitalSignature: true, keyCertSign: true, cRLSign: true } : { digitalSignature: true },
        extKeyUsage: k.ca ? undefined : [OID.codeSigning],
      });
      certs.set(k.dir, { certPem, privateKeyPem: keys[i].privateKeyPem });
      await writeKeyDir(join(tmp, k.dir), keys[i], certPem);
      if (k.guid) await writeFile(join(tmp, k.dir, 'guid'), randomUUID(), { mode: 0o640 });
    }
    await createProject(tmp, 'default', now);
  });
  return dest;
}

/** Names of the keysets in the keysets directory, sorted. */
export async function listKeysets(opts: KeysetOptions = {}): Promise<string[]> {
  const dir = keysetsDir(opts.dir);
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}
