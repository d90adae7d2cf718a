import { OID, type Cert } from '../x509/certificate';

/**
 * What an API client may do, from its certificate (issue 11): `reader` reads (status, services,
 * logs, events), `operator` also runs services and checks updates, `admin` does everything.
 */
export const API_ROLES = ['reader', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export const isApiRole = (s: unknown): s is ApiRole => typeof s === 'string' && (API_ROLES as readonly string[]).includes(s);

/**
 * The role a client certificate carries: its subject has exactly one Organizational Unit and
 * that OU is a known role. Anything else -- no OU, two OUs, an unknown word -- is no role, and
 * a certificate with no role gets nothing.
 *
 * @example
 * import { apiRoleOf, parseCertificates } from '@mos/trust';
 * apiRoleOf(parseCertificates(pem)[0]); // 'operator'
 */
export function apiRoleOf(cert: Cert): ApiRole | undefined {
  const ous = cert.subject.filter(([oid]) => oid === OID.organizationalUnitName).map(([, v]) => v);
  return ous.length === 1 && isApiRole(ous[0]) ? ous[0] : undefined;
}

/** Whether `role` is at least `needed` (reader < operator < admin). */
export function roleAtLeast(role: ApiRole | undefined, needed: ApiRole): boolean {
  return role !== undefined && API_ROLES.indexOf(role) >= API_ROLES.indexOf(needed);
}
