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
  | 'ERR_BRINGUP_MOUNT_FAILED'
  /** initrd build: the kernel tree has no `lib/modules/KVER` (or not the one asked for). */
  | 'ERR_BRINGUP_KERNEL_NOT_FOUND'
  /** initrd build: the kernel tree has several `lib/modules/KVER`; pass `kver`. */
  | 'ERR_BRINGUP_KVER_AMBIGUOUS'
  /** initrd build: a required module (or one of its dependencies) is neither in the tree nor built in. */
  | 'ERR_BRINGUP_MODULE_NOT_FOUND'
  /** initrd build: a `.ko` is not a readable 64-bit little-endian ELF with a `.modinfo` section, or the dependencies loop. */
  | 'ERR_BRINGUP_MODULE_UNREADABLE'
  /** initrd build: an input file (CA, bundle, node, dmsetup, busybox, an extra file, a library) is missing. */
  | 'ERR_BRINGUP_FILE_NOT_FOUND'
  /** initrd build: a binary is static where libraries were expected, or dynamic where it must be static, or `ldd` cannot resolve a library. */
  | 'ERR_BRINGUP_BINARY_UNSUITABLE'
  /** initrd build: a bad option (destination path, compression, mtime). */
  | 'ERR_BRINGUP_BAD_OPTION'
  /** initrd build: writing or compressing the archive failed (the message names the tool or file). */
  | 'ERR_BRINGUP_INITRD_BUILD';

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
