import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRevocationListError, NoCaError } from '../errors';
import { parseRevocationList } from '../chain/revocation';
import type { TrustAnchors } from '../chain/verify-chain';
import { parseCertificates } from '../x509/certificate';

/** Where a host keeps its manifest CA, relative to its root, in the order they are tried. */
export const CA_LOCATIONS = ['factory/secure/manifestCA.pem', 'manifestCA.pem'] as const;

/**
 * Finds the manifest CA of a host with root `root`. An explicit path always wins (the original
 * searched fixed absolute paths first and ignored the caller's -- its BUG 14); otherwise
 * `R/factory/secure/manifestCA.pem`, then `R/manifestCA.pem` (the initrd's copy).
 *
 * @example
 * import { findManifestCA } from '@mos/trust';
 * findManifestCA({ root: '/tmp/host' }) // '/tmp/host/factory/secure/manifestCA.pem'
 */
export function findManifestCA(opts: { root?: string; explicit?: string }): string {
  if (opts.explicit !== undefined) {
    if (!existsSync(opts.explicit)) throw new NoCaError(`manifest CA ${opts.explicit} does not exist`);
    return opts.explicit;
  }
  const root = opts.root ?? '/';
  const tried = CA_LOCATIONS.map((p) => join(root, p));
  const found = tried.find((p) => existsSync(p));
  if (!found) throw new NoCaError(`no manifest CA found (tried ${tried.join(', ')}); pass --ca FILE`);
  return found;
}

/** The revocation file that belongs to a CA file: `manifestCA.pem` → `manifestCA.revoked`. */
export const revocationPathFor = (caPath: string) => caPath.replace(/(\.pem|\.crt)?$/, '.revoked');

/**
 * Reads a CA bundle (one or more PEM certificates) and, if present, its revocation file
 * (see {@link revocationPathFor}; `revocationPath` overrides it).
 */
export function loadTrustAnchors(opts: { caPath: string; revocationPath?: string }): TrustAnchors {
  if (!existsSync(opts.caPath)) throw new NoCaError(`manifest CA ${opts.caPath} does not exist`);
  const roots = parseCertificates(readFileSync(opts.caPath), `CA bundle ${opts.caPath}`);
  const rpath = opts.revocationPath ?? revocationPathFor(opts.caPath);
  if (!existsSync(rpath)) {
    if (opts.revocationPath) throw new BadRevocationListError(`revocation file ${rpath} does not exist`);
    return { roots, source: opts.caPath };
  }
  return { roots, source: opts.caPath, revocation: parseRevocationList(readFileSync(rpath), roots, rpath) };
}
