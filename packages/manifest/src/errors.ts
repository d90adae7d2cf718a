/**
 * Errors of `@mos/manifest`, each with a stable `code` callers switch on.
 *
 * @example
 * import { ManifestError } from '@mos/manifest';
 * try { loadInstallManifest(bytes) } catch (e) { if (e instanceof ManifestError && e.code === 'ERR_MANIFEST_INVALID') ... }
 */
export type ManifestErrorCode =
  | 'ERR_MANIFEST_PARSE'
  | 'ERR_MANIFEST_INVALID'
  | 'ERR_MANIFEST_VERIFY_FAILED'
  | 'ERR_MANIFEST_NO_STATE'
  | 'ERR_MANIFEST_ALREADY_INSTALLED'
  | 'ERR_MANIFEST_STATE_CORRUPT'
  | 'ERR_MANIFEST_TARGET_NOT_FOUND'
  | 'ERR_MANIFEST_UIDS_EXHAUSTED'
  | 'ERR_MANIFEST_IMAGE_VERIFY_FAILED'
  | 'ERR_MANIFEST_LOCKED';

/** One problem found by a validator: where (a JSON path), which rule, and what to do. */
export interface Issue {
  path: string;
  rule: string;
  message: string;
}

export class ManifestError extends Error {
  readonly code: ManifestErrorCode;
  constructor(code: ManifestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ManifestError';
    this.code = code;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Bytes that are not YAML/JSON, or not an object where one is required. */
export class ParseError extends ManifestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MANIFEST_PARSE', message, options);
  }
}

/** A manifest that breaks a rule; `issues` lists every problem, the message the first. */
export class InvalidManifestError extends ManifestError {
  readonly issues: Issue[];
  constructor(what: string, issues: Issue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super('ERR_MANIFEST_INVALID', `${what}: ${first.path}: ${first.message}${more}`);
    this.issues = issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** A signed install manifest of the state did not verify; `cause` is the trust error. */
export class VerifyFailedError extends ManifestError {
  /** The failed trust check (`bad-signature`, `unknown-issuer`, `product-mismatch`, ...). */
  readonly check: string;
  constructor(message: string, check: string, options?: { cause?: unknown }) {
    super('ERR_MANIFEST_VERIFY_FAILED', message, options);
    this.check = check;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), check: this.check };
  }
}

/** There is no `manifest.git` (nothing installed). */
export class NoStateError extends ManifestError {
  constructor(message: string) {
    super('ERR_MANIFEST_NO_STATE', message);
  }
}

/** `manifest.git` exists already (a second install). */
export class AlreadyInstalledError extends ManifestError {
  constructor(message: string) {
    super('ERR_MANIFEST_ALREADY_INSTALLED', message);
  }
}

/** The committed state is inconsistent: a referenced file is missing or does not hash to its name. */
export class StateCorruptError extends ManifestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MANIFEST_STATE_CORRUPT', message, options);
  }
}

/** A system target names a target its install manifest does not have. */
export class TargetNotFoundError extends ManifestError {
  constructor(message: string) {
    super('ERR_MANIFEST_TARGET_NOT_FOUND', message);
  }
}

/** No free host uid range is left for a new nsgroup. */
export class UidsExhaustedError extends ManifestError {
  constructor(message: string) {
    super('ERR_MANIFEST_UIDS_EXHAUSTED', message);
  }
}
