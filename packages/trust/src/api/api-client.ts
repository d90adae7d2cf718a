import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidNameError } from '../errors';
import { buildCertificate, generateRsaKeyPair } from '../keyset/cert-builder';
import { createAtomically, readKeyDir, writeKeyDir } from '../keyset/key-dir';
import { assertSafeName, keysetDir, type KeysetOptions } from '../keyset/paths';
import { OID, parseCertificates } from '../x509/certificate';
import { apiRoleOf, isApiRole, type ApiRole } from './roles';

/** The keyset directory of the API client CA (made by `trust keyset add`). */
export const API_CA_DIR = 'api-ca';
/** Where the client certificates of a keyset live: `<keyset>/api-clients/<name>/`. */
export const API_CLIENTS_DIR = 'api-clients';
const DEFAULT_DAYS = 365;

export interface ApiClient {
  name: string;
  role: ApiRole | undefined;
  dir: string;
  notAfter: Date;
}

/**
 * Issues an API client certificate under the keyset's API CA: subject `CN=<name>, OU=<role>`,
 * extKeyUsage clientAuth, RSA-2048, valid `days` (default 365) -- clients are people and
 * tools, they rotate; the CA is what machines trust (`R/factory/secure/api-ca.pem`). Written to
 * `<keyset>/api-clients/<name>/{privkey.pem,cert.pem}` atomically; an existing name is refused.
 * A keyset made before mos had the API has no `api-ca`: the error says so.
 *
 * @example
 * import { addApiClient } from '@mos/trust';
 * await addApiClient({ keyset: 'demo', role: 'operator', name: 'ci-bot', dir: '/tmp/keys' });
 */
export async function addApiClient(opts: KeysetOptions & { keyset: string; role: ApiRole; name: string; days?: number }): Promise<ApiClient> {
  assertSafeName('API client', opts.name);
  if (!isApiRole(opts.role)) throw new InvalidNameError(`unknown API role ${JSON.stringify(opts.role)}: use reader, operator or admin`);
  const days = opts.days ?? DEFAULT_DAYS;
  if (!Number.isSafeInteger(days) || days < 1 || days > 3650) throw new RangeError(`an API client certificate is valid 1 to 3650 days, not ${days}`);
  const ks = keysetDir(opts);
  const ca = await readKeyDir(join(ks, API_CA_DIR), `the API client CA of keyset "${opts.keyset}" (keysets made before mos had an API lack it)`);
  const dir = join(ks, API_CLIENTS_DIR, opts.name);
  const now = opts.now ?? new Date();
  const notAfter = new Date(now.getTime() + days * 86_400_000);
  await createAtomically(dir, `API client "${opts.name}"`, async (tmp) => {
    const keys = await generateRsaKeyPair();
    const certPem = buildCertificate({
      subject: [
        { shortName: 'CN', value: opts.name },
        { shortName: 'OU', value: opts.role },
      ],
      keys,
      issuer: ca,
      notBefore: now,
      notAfter,
      ca: false,
      keyUsage: { digitalSignature: true, keyEncipherment: true },
      extKeyUsage: [OID.clientAuth],
    });
    await writeKeyDir(tmp, keys, certPem);
  });
  return { name: opts.name, role: opts.role, dir, notAfter };
}

/** The API clients of a keyset, sorted by name, with the role their certificate carries. */
export async function listApiClients(opts: KeysetOptions & { keyset: string }): Promise<ApiClient[]> {
  const base = join(keysetDir(opts), API_CLIENTS_DIR);
  if (!existsSync(base)) return [];
  const out: ApiClient[] = [];
  for (const e of (await readdir(base, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.'))) {
    const [cert] = parseCertificates(await readFile(join(base, e.name, 'cert.pem')), `${e.name}/cert.pem`);
    out.push({ name: e.name, role: apiRoleOf(cert), dir: join(base, e.name), notAfter: cert.notAfter });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
