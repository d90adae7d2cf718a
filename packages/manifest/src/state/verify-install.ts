import { assertProduct, TrustError, verifySignedManifest, type TrustAnchors } from '@mos/trust';
import { VerifyFailedError, type Issue } from '../errors';
import type { SignedInstall } from '../git/state-repo';
import { loadInstallManifest } from '../parse/load';
import { assertNotExpired } from './freshness';
import type { InstallManifest } from '../types';

/** A signed install manifest whose signature, chain and product verified. */
export interface VerifiedInstall {
  sha256: string;
  signed: SignedInstall;
  manifest: InstallManifest;
  /** The product the manifest and its certificate agree on. */
  product: string;
  /** Subject CN of the signing certificate. */
  signer: string | undefined;
  warnings: Issue[];
}

/**
 * Verifies one signed install manifest before anything trusts it: the certificate chains to
 * the manifest CA, the signature verifies over the exact bytes, the bytes parse and validate,
 * the manifest's `product` is the product the certificate is bound to, and its signed `expires`
 * (if any) has not passed at `now`.
 *
 * @example
 * import { verifyInstall } from '@mos/manifest';
 * const v = verifyInstall(signed, loadTrustAnchors({ caPath }));
 */
export function verifyInstall(signed: SignedInstall, anchors: TrustAnchors, now?: Date): VerifiedInstall {
  const what = `install manifest ${signed.sha256.slice(0, 12)}`;
  try {
    const v = verifySignedManifest({ data: signed.json, signature: signed.signature, certificate: signed.certificate, anchors, now });
    const parsed = loadInstallManifest(signed.json, what);
    assertProduct(v.leaf, parsed.manifest.product);
    assertNotExpired(parsed.manifest, what, now);
    return { sha256: signed.sha256, signed, manifest: parsed.manifest, product: parsed.manifest.product, signer: v.leaf.commonName, warnings: parsed.warnings };
  } catch (e) {
    if (e instanceof TrustError) throw new VerifyFailedError(`${what}: verification failed (${e.check}): ${e.message}`, e.check, { cause: e });
    throw e;
  }
}
