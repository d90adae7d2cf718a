import { verifyInstall, type VerifiedInstall } from '@mos/manifest';
import type { TrustAnchors } from '@mos/trust';
import type { FetchedInstall } from './fetch-install';

/**
 * Verifies a fetched install manifest (chain, signature, product: see `verifyInstall`). When a
 * registry holds several certificate or signature referrers (publishing twice adds more, and
 * anyone who can push can add junk), every pair is tried and the first that verifies wins; a
 * junk referrer therefore cannot block a good one. When none verifies, the first pair's error
 * is thrown.
 */
export function verifyFetched(f: FetchedInstall, anchors: TrustAnchors, now?: Date): VerifiedInstall {
  let first: unknown;
  for (const certificate of f.certificates) {
    for (const signature of f.signatures) {
      try {
        return verifyInstall({ sha256: f.sha256, json: f.json, signature, certificate }, anchors, now);
      } catch (e) {
        first ??= e;
      }
    }
  }
  throw first;
}
