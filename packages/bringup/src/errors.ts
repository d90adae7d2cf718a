/**
 * Errors of `@mos/bringup`, each with a stable `code`.
 */
export type BringupErrorCode =
  | 'ERR_BRINGUP_NOT_AN_INSTALL'
  | 'ERR_BRINGUP_NO_SIGNATURE'
  | 'ERR_BRINGUP_TOO_LARGE'
  | 'ERR_BRINGUP_IMAGE_VERIFY_FAILED'
  | 'ERR_BRINGUP_TARGET_NOT_FOUND'
  | 'ERR_BRINGUP_INSTALLED'
  /** The kernel command line has no usable `root=soci:` (unknown key, missing name, bad value). */
  | 'ERR_BRINGUP_CMDLINE'
  /** A partition or boot device did not appear in time. */
  | 'ERR_BRINGUP_DEVICE_TIMEOUT'
  /** The verified root has no init to hand over to. */
  | 'ERR_BRINGUP_NO_INIT'
  /** A mount or move of the boot flow failed. */
  | 'ERR_BRINGUP_MOUNT_FAILED';

export class BringupError extends Error {
  readonly code: BringupErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: BringupErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'BringupError';
    this.code = code;
    this.details = options?.details ?? {};
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}
