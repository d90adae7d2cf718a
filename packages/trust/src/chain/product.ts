import { ProductMismatchError } from '../errors';
import type { Cert } from '../x509/certificate';

const PRODUCT_CN = /^manifest PRODUCT:(.+)$/;

/**
 * The product a manifest signing certificate is bound to: its subject CN is
 * `manifest PRODUCT:<uuid>`. Undefined when the certificate carries no product.
 */
export function productOf(cert: Cert): string | undefined {
  return cert.commonName?.match(PRODUCT_CN)?.[1];
}

/**
 * Fails unless the certificate is bound to `product` (the original never checked this, so any
 * product's key could sign any product's manifest).
 */
export function assertProduct(cert: Cert, product: string): void {
  const bound = productOf(cert);
  if (bound === undefined) {
    throw new ProductMismatchError(`the signing certificate "${cert.commonName ?? ''}" is not bound to a product (CN must be "manifest PRODUCT:<uuid>")`, {
      details: { expected: product, actual: null, subject: cert.commonName },
    });
  }
  if (bound !== product) {
    throw new ProductMismatchError(`the manifest is for product "${product}" but its certificate signs for product "${bound}"`, {
      details: { expected: product, actual: bound, subject: cert.commonName },
    });
  }
}
