/**
 * Errors of `@mos/trust`. Every error has a stable `code` callers switch on and a short
 * `check` naming the verification step that failed (what `trust manifest verify` prints).
 *
 * @example
 * import { TrustError } from '@mos/trust';
 * try { verifyChain(...) } catch (e) { if (e instanceof TrustError && e.check === 'expired') ... }
 */
export type TrustErrorCode =
  | 'ERR_TRUST_BAD_PEM'
  | 'ERR_TRUST_BAD_SIGNATURE'
  | 'ERR_TRUST_UNSUPPORTED_KEY'
  | 'ERR_TRUST_EXPIRED'
  | 'ERR_TRUST_NOT_YET_VALID'
  | 'ERR_TRUST_UNKNOWN_ISSUER'
  | 'ERR_TRUST_ISSUER_NOT_CA'
  | 'ERR_TRUST_BAD_CERT_SIGNATURE'
  | 'ERR_TRUST_PATH_LENGTH'
  | 'ERR_TRUST_KEY_USAGE'
  | 'ERR_TRUST_REVOKED'
  | 'ERR_TRUST_BAD_REVOCATION_LIST'
  | 'ERR_TRUST_PRODUCT_MISMATCH'
  | 'ERR_TRUST_NO_CA'
  | 'ERR_TRUST_INVALID_NAME'
  | 'ERR_TRUST_NOT_FOUND'
  | 'ERR_TRUST_EXISTS';

export interface TrustErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base class: `code` is stable, `check` is the short name of the failed check. */
export class TrustError extends Error {
  readonly code: TrustErrorCode;
  readonly check: string;
  /** Structured facts about the failure (certificate subject and fingerprint, expected vs actual product, ...). */
  readonly details: Record<string, unknown>;
  constructor(code: TrustErrorCode, check: string, message: string, options?: TrustErrorOptions) {
    super(message, options);
    this.name = 'TrustError';
    this.code = code;
    this.check = check;
    this.details = options?.details ?? {};
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, check: this.check, message: this.message, ...(Object.keys(this.details).length ? { details: this.details } : {}) };
  }
}

const make = (code: TrustErrorCode, check: string) =>
  class extends TrustError {
    constructor(message: string, options?: TrustErrorOptions) {
      super(code, check, message, options);
    }
  };

/** Input is not PEM, or a PEM block is not a valid certificate / key. */
export class BadPemError extends make('ERR_TRUST_BAD_PEM', 'bad-pem') {}
/** The detached signature does not verify over the data with the certificate's key. */
export class BadSignatureError extends make('ERR_TRUST_BAD_SIGNATURE', 'bad-signature') {}
/** A key type or size we refuse (only RSA >= 2048 and ECDSA P-256 are accepted). */
export class UnsupportedKeyError extends make('ERR_TRUST_UNSUPPORTED_KEY', 'unsupported-key') {}
/** A certificate in the chain is past its notAfter. */
export class ExpiredError extends make('ERR_TRUST_EXPIRED', 'expired') {}
/** A certificate in the chain is before its notBefore. */
export class NotYetValidError extends make('ERR_TRUST_NOT_YET_VALID', 'not-yet-valid') {}
/** No CA certificate or intermediate names the certificate's issuer. */
export class UnknownIssuerError extends make('ERR_TRUST_UNKNOWN_ISSUER', 'unknown-issuer') {}
/** An issuing certificate is not a CA (basicConstraints) or may not sign certificates (keyUsage). */
export class IssuerNotCaError extends make('ERR_TRUST_ISSUER_NOT_CA', 'issuer-not-ca') {}
/** A certificate's signature does not verify under the issuer named in it. */
export class BadCertSignatureError extends make('ERR_TRUST_BAD_CERT_SIGNATURE', 'bad-cert-signature') {}
/** An intermediate's pathLenConstraint is exceeded. */
export class PathLengthError extends make('ERR_TRUST_PATH_LENGTH', 'path-length') {}
/** The leaf's keyUsage / extKeyUsage does not allow signing code (manifests). */
export class KeyUsageError extends make('ERR_TRUST_KEY_USAGE', 'key-usage') {}
/** A certificate of the chain is listed in the revocation file. */
export class RevokedError extends make('ERR_TRUST_REVOKED', 'revoked') {}
/** The revocation file cannot be read, or its CRL is not signed by the CA. */
export class BadRevocationListError extends make('ERR_TRUST_BAD_REVOCATION_LIST', 'bad-revocation-list') {}
/** The manifest's product differs from the product bound in the signing certificate. */
export class ProductMismatchError extends make('ERR_TRUST_PRODUCT_MISMATCH', 'product-mismatch') {}
/** No manifest CA was found (explicit path missing, or none of the default locations exists). */
export class NoCaError extends make('ERR_TRUST_NO_CA', 'no-ca') {}
/** A keyset, project or serial name that would be unsafe as a path component. */
export class InvalidNameError extends make('ERR_TRUST_INVALID_NAME', 'invalid-name') {}
/** A keyset, project, key or item does not exist. */
export class NotFoundError extends make('ERR_TRUST_NOT_FOUND', 'not-found') {}
/** A keyset, project or SUDI that is being created exists already. */
export class ExistsError extends make('ERR_TRUST_EXISTS', 'exists') {}

/** Every concrete error class of this package. */
export type AnyTrustError = TrustError;
