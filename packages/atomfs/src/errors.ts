/**
 * Errors of `@mos/atomfs`. Every error has a stable `code` callers switch on and structured
 * `details` (paths, block numbers, expected vs actual) that survive `toJSON()`.
 *
 * @example
 * import { AtomfsError } from '@mos/atomfs';
 * try { await verify({ file, rootHash }); }
 * catch (e) { if (e instanceof AtomfsError && e.code === 'ERR_ATOMFS_DATA_BLOCK_CORRUPT') ... }
 */
export type AtomfsErrorCode =
  | 'ERR_ATOMFS_BAD_ARGUMENT'
  | 'ERR_ATOMFS_UNSAFE_PATH'
  | 'ERR_ATOMFS_NOT_SQUASHFS'
  | 'ERR_ATOMFS_VERITY_MISSING'
  | 'ERR_ATOMFS_ROOT_HASH_MISSING'
  | 'ERR_ATOMFS_INSECURE_REFUSED'
  | 'ERR_ATOMFS_VERITY_PRESENT'
  | 'ERR_ATOMFS_BAD_VERITY_SUPERBLOCK'
  | 'ERR_ATOMFS_VERITY_TRUNCATED'
  | 'ERR_ATOMFS_ROOT_HASH_MISMATCH'
  | 'ERR_ATOMFS_HASH_BLOCK_CORRUPT'
  | 'ERR_ATOMFS_DATA_BLOCK_CORRUPT'
  | 'ERR_ATOMFS_BAD_TAR'
  | 'ERR_ATOMFS_BAD_WHITEOUT'
  | 'ERR_ATOMFS_SOURCE_CHANGED'
  | 'ERR_ATOMFS_TOOL_FAILED'
  | 'ERR_ATOMFS_BACKEND_UNAVAILABLE'
  | 'ERR_ATOMFS_OPTIONS_TOO_LONG'
  | 'ERR_ATOMFS_ALREADY_MOUNTED'
  | 'ERR_ATOMFS_NOT_MOUNTED'
  | 'ERR_ATOMFS_BUSY'
  | 'ERR_ATOMFS_LAYER_CONFLICT'
  | 'ERR_ATOMFS_LOCK_TIMEOUT'
  | 'ERR_ATOMFS_VERIFY_FAILED'
  | 'ERR_ATOMFS_BAD_IMAGE';

/** Base class of every error this package throws on purpose. */
export class AtomfsError extends Error {
  readonly code: AtomfsErrorCode;
  /** Structured facts about the failure (file, block, level, expected, actual, tool, …). */
  readonly details: Record<string, unknown>;
  constructor(code: AtomfsErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AtomfsError';
    this.code = code;
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

const make = (code: AtomfsErrorCode) =>
  class extends AtomfsError {
    constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
      super(code, message, details, options);
    }
  };

/** An argument is malformed (root hash not 64 hex, salt, uuid, offset, option value). */
export class BadArgumentError extends make('ERR_ATOMFS_BAD_ARGUMENT') {}
/** A name or path that would escape its directory or break a mount option (`..`, NUL, `:`, `,`). */
export class UnsafePathError extends make('ERR_ATOMFS_UNSAFE_PATH') {}
/** The file is not a squashfs image we can use (magic, version, sizes). */
export class NotSquashfsError extends make('ERR_ATOMFS_NOT_SQUASHFS') {}
/** A root hash was given but the layer carries no verity data after the squashfs image. */
export class VerityMissingError extends make('ERR_ATOMFS_VERITY_MISSING') {}
/** The layer carries verity data but no root hash was given for it. */
export class RootHashMissingError extends make('ERR_ATOMFS_ROOT_HASH_MISSING') {}
/** A layer without a root hash would be mounted unverified; pass `insecure` to allow it. */
export class InsecureRefusedError extends make('ERR_ATOMFS_INSECURE_REFUSED') {}
/** `format` was asked to append verity data to a file that already has some. */
export class VerityPresentError extends make('ERR_ATOMFS_VERITY_PRESENT') {}
/** The verity superblock is missing or not one we support (format 1, sha256). */
export class BadVeritySuperblockError extends make('ERR_ATOMFS_BAD_VERITY_SUPERBLOCK') {}
/** The file ends before the hash tree does. */
export class VerityTruncatedError extends make('ERR_ATOMFS_VERITY_TRUNCATED') {}
/** The top of the tree does not hash to the root hash: wrong root hash, or the top block is corrupt. */
export class RootHashMismatchError extends make('ERR_ATOMFS_ROOT_HASH_MISMATCH') {}
/** A hash block does not match its parent's slot. `details`: level, block, offset. */
export class HashBlockCorruptError extends make('ERR_ATOMFS_HASH_BLOCK_CORRUPT') {}
/** A data block does not match its level-0 hash. `details`: block, offset. */
export class DataBlockCorruptError extends make('ERR_ATOMFS_DATA_BLOCK_CORRUPT') {}
/** A tar source is malformed or uses a feature we do not convert (sparse files). */
export class BadTarError extends make('ERR_ATOMFS_BAD_TAR') {}
/** A whiteout entry we cannot convert (`.wh.` with no name, other `.wh..wh.` names). */
export class BadWhiteoutError extends make('ERR_ATOMFS_BAD_WHITEOUT') {}
/** A source changed between the two passes of a layer build. */
export class SourceChangedError extends make('ERR_ATOMFS_SOURCE_CHANGED') {}
/** An external tool (mount, mksquashfs, veritysetup, …) failed. `details`: tool, args, exitCode, stderr. */
export class ToolFailedError extends make('ERR_ATOMFS_TOOL_FAILED') {}
/** The requested mount backend cannot work here (no device-mapper, no FUSE, tool missing). */
export class BackendUnavailableError extends make('ERR_ATOMFS_BACKEND_UNAVAILABLE') {}
/** The overlay option string would exceed the kernel's 4096-byte limit (too many layers). */
export class OptionsTooLongError extends make('ERR_ATOMFS_OPTIONS_TOO_LONG') {}
/** The destination already holds a molecule. */
export class AlreadyMountedError extends make('ERR_ATOMFS_ALREADY_MOUNTED') {}
/** The path is not a molecule we mounted (no overlay there, or no record under scratch). */
export class NotMountedError extends make('ERR_ATOMFS_NOT_MOUNTED') {}
/** The mount is in use and was left in place. */
export class BusyError extends make('ERR_ATOMFS_BUSY') {}
/** A shared layer mount exists with a different root hash or verification state. */
export class LayerConflictError extends make('ERR_ATOMFS_LAYER_CONFLICT') {}
/** Another process held the scratch lock for too long. */
export class LockTimeoutError extends make('ERR_ATOMFS_LOCK_TIMEOUT') {}
/** `verifyMounted` found at least one layer that is not OK. `details.layers` has the report. */
export class VerifyFailedError extends make('ERR_ATOMFS_VERIFY_FAILED') {}
/** The OCI image is not one atomfs can mount (layer media type, root-hash annotation, reference). */
export class BadImageError extends make('ERR_ATOMFS_BAD_IMAGE') {}

/** Every concrete error class of this package. */
export type AnyAtomfsError = AtomfsError;
