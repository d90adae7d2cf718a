/**
 * Errors of `@mos/oci-store`. Local errors are {@link OciStoreError}s with a stable `code`
 * callers switch on; errors a registry sends over the wire are {@link RegistryError}s (the
 * distribution-spec `{code, message, detail}` plus the HTTP status), a separate type because
 * their codes belong to the registry, not to us.
 *
 * @example
 * import { OciStoreError } from '@mos/oci-store';
 * try { await store.resolve('v1'); } catch (e) {
 *   if (e instanceof OciStoreError && e.code === 'ERR_OCI_TAG_NOT_FOUND') console.log('no such tag');
 * }
 */
export type OciStoreErrorCode =
  | 'ERR_OCI_INVALID_DIGEST'
  | 'ERR_OCI_INVALID_DESCRIPTOR'
  | 'ERR_OCI_INVALID_NAME'
  | 'ERR_OCI_INVALID_REFERENCE'
  | 'ERR_OCI_INVALID_LAYOUT'
  | 'ERR_OCI_INVALID_MANIFEST'
  | 'ERR_OCI_INVALID_ARGUMENT'
  | 'ERR_OCI_DIGEST_MISMATCH'
  | 'ERR_OCI_SIZE_MISMATCH'
  | 'ERR_OCI_TOO_LARGE'
  | 'ERR_OCI_NOT_FOUND'
  | 'ERR_OCI_TAG_NOT_FOUND'
  | 'ERR_OCI_AMBIGUOUS_TAG'
  | 'ERR_OCI_NOT_A_MANIFEST'
  | 'ERR_OCI_LOCKED'
  | 'ERR_OCI_ABORTED'
  | 'ERR_OCI_COPY_FAILED'
  | 'ERR_OCI_CORRUPT'
  | 'ERR_OCI_REGISTRY_UNREACHABLE'
  | 'ERR_OCI_REGISTRY_INSECURE'
  | 'ERR_OCI_REGISTRY_AUTH'
  | 'ERR_OCI_REGISTRY_PROTOCOL'
  | 'ERR_OCI_REGISTRY_UNSUPPORTED';

/** Base class of every local error: `code` is stable, extra fields are structured. */
export class OciStoreError extends Error {
  readonly code: OciStoreErrorCode;
  /** Structured context (digest, path, expected/actual, …); never secrets. */
  readonly details: Record<string, unknown>;
  constructor(code: OciStoreErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OciStoreError';
    this.code = code;
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

type Ctor = new (message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) => OciStoreError;
const make = (code: OciStoreErrorCode): Ctor =>
  class extends OciStoreError {
    constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
      super(code, message, details, options);
    }
  };

/** A digest string does not follow the grammar (or is not lower-case hex of the right length). */
export class InvalidDigestError extends make('ERR_OCI_INVALID_DIGEST') {}
/** A descriptor lacks a field or has a field of the wrong type. */
export class InvalidDescriptorError extends make('ERR_OCI_INVALID_DESCRIPTOR') {}
/** A tag, repository or path component is not allowed (grammar, `..`, `/`, NUL). */
export class InvalidNameError extends make('ERR_OCI_INVALID_NAME') {}
/** An image reference (`oci:DIR:TAG`, `docker://…`) cannot be parsed. */
export class InvalidReferenceError extends make('ERR_OCI_INVALID_REFERENCE') {}
/** A directory is not an OCI image layout, or its `oci-layout`/`index.json` is malformed. */
export class InvalidLayoutError extends make('ERR_OCI_INVALID_LAYOUT') {}
/** A manifest or index blob is not valid JSON of its media type (umoci's "malicious" rules). */
export class InvalidManifestError extends make('ERR_OCI_INVALID_MANIFEST') {}
/** An option or argument is out of range. */
export class InvalidArgumentError extends make('ERR_OCI_INVALID_ARGUMENT') {}
/** Content hashed to another digest than the descriptor names. `details`: expected, actual. */
export class DigestMismatchError extends make('ERR_OCI_DIGEST_MISMATCH') {}
/** Content has another length than the descriptor names. `details`: expected, actual. */
export class SizeMismatchError extends make('ERR_OCI_SIZE_MISMATCH') {}
/** A blob read into memory (`fetchJson`) is larger than the cap. */
export class TooLargeError extends make('ERR_OCI_TOO_LARGE') {}
/** A blob (or repository) is not in the store. `details`: digest. */
export class NotFoundError extends make('ERR_OCI_NOT_FOUND') {}
/** No descriptor in `index.json` carries the tag. */
export class TagNotFoundError extends make('ERR_OCI_TAG_NOT_FOUND') {}
/** Several different descriptors carry the tag, or a tag resolves to several images. */
export class AmbiguousTagError extends make('ERR_OCI_AMBIGUOUS_TAG') {}
/** A descriptor that must name an image manifest names something else. */
export class NotAManifestError extends make('ERR_OCI_NOT_A_MANIFEST') {}
/** The store lock is held by another process (`details.pid`) for longer than the wait. */
export class LockedError extends make('ERR_OCI_LOCKED') {}
/** fsck found problems in a layout (`details.problems`: how many). */
export class CorruptLayoutError extends make('ERR_OCI_CORRUPT') {}
/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends make('ERR_OCI_ABORTED') {}
/** The network connection to a registry failed (after retries). */
export class RegistryUnreachableError extends make('ERR_OCI_REGISTRY_UNREACHABLE') {}
/** Plain http to a non-loopback registry without `insecure`. */
export class RegistryInsecureError extends make('ERR_OCI_REGISTRY_INSECURE') {}
/** Authentication failed: no usable credentials, token endpoint refused, or still 401. */
export class RegistryAuthError extends make('ERR_OCI_REGISTRY_AUTH') {}
/** The registry answered something the protocol does not allow (bad header, bad status). */
export class RegistryProtocolError extends make('ERR_OCI_REGISTRY_PROTOCOL') {}
/** The registry does not support an operation (e.g. DELETE disabled). */
export class RegistryUnsupportedError extends make('ERR_OCI_REGISTRY_UNSUPPORTED') {}

/** Where a copy failed: reading the source or writing the destination. */
export type CopyOrigin = 'source' | 'destination';

/** A copy failed; `origin` says which side, `cause` is the underlying error. */
export class CopyError extends OciStoreError {
  readonly origin: CopyOrigin;
  constructor(origin: CopyOrigin, message: string, details: Record<string, unknown>, options: { cause: unknown }) {
    super('ERR_OCI_COPY_FAILED', message, { origin, ...details }, options);
    this.origin = origin;
  }
}

/** Distribution-spec error codes (the `code` of a wire error). */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'UNKNOWN';

/**
 * An error a registry sent (or our server sends): `{code, message, detail}` from the body plus
 * the HTTP `status`. The server renders it as `{"errors":[…]}`; the client parses it back.
 */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  constructor(code: RegistryErrorCode, message: string, status: number, detail?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryError';
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
  /** True for the codes that mean "does not exist" (blob, manifest, repository). */
  get notFound(): boolean {
    return this.code === 'BLOB_UNKNOWN' || this.code === 'MANIFEST_UNKNOWN' || this.code === 'NAME_UNKNOWN' || this.status === 404;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, status: this.status, detail: this.detail };
  }
}

/** Every local error class, for narrowing. */
export type AnyOciStoreError = OciStoreError | CopyError;

/** True when `e` is an OciStoreError with the given code. */
export function isOciError(e: unknown, code?: OciStoreErrorCode): e is OciStoreError {
  return e instanceof OciStoreError && (code === undefined || e.code === code);
}
