import { verifyDetached } from '../sign/verify';
import { parseCertificates } from '../x509/certificate';
import { assertProduct, productOf } from './product';
import { verifyChain, type TrustAnchors, type VerifiedChain } from './verify-chain';

/** The outcome of {@link verifySignedManifest}. */
export interface VerifiedManifest extends VerifiedChain {
  /** The product the signing certificate is bound to, if any. */
  product: string | undefined;
}

/**
 * Verifies a signed manifest the way a host must before it trusts a byte of it: the
 * certificate chains to the manifest CA (see {@link verifyChain}), the detached signature
 * verifies over the exact bytes, and -- when `product` is given -- the certificate is bound to
 * that product.
 *
 * @example
 * import { verifySignedManifest, loadTrustAnchors } from '@mos/trust';
 * const v = verifySignedManifest({ data, signature, certificate, anchors: loadTrustAnchors({ caPath }) });
 */
export function verifySignedManifest(opts: {
  data: Buffer;
  signature: Buffer;
  /** PEM: the signing certificate, optionally followed by intermediates. */
  certificate: string | Buffer;
  anchors: TrustAnchors;
  product?: string;
  now?: Date;
}): VerifiedManifest {
  const certs = parseCertificates(opts.certificate, 'signing certificate');
  const chain = verifyChain({ chain: certs, anchors: opts.anchors, now: opts.now });
  verifyDetached({ data: opts.data, signature: opts.signature, key: chain.leaf.publicKey });
  if (opts.product !== undefined) assertProduct(chain.leaf, opts.product);
  return { ...chain, product: productOf(chain.leaf) };
}
