/** Errors of the mosctl operations, each with a stable `code` the CLI maps to an exit status. */
export type MosctlErrorCode =
  | 'ERR_MOSCTL_INVALID'
  /** An option's value is malformed (`--serial`, `--expires`): a usage mistake, exit 2. */
  | 'ERR_MOSCTL_BAD_OPTION'
  | 'ERR_MOSCTL_NOT_FOUND'
  /** A state cannot be made current because images it names are gone from the store (`details.missing`). */
  | 'ERR_MOSCTL_IMAGES_NOT_FOUND'
  /** `update --apply` with nothing staged (exit 4). */
  | 'ERR_MOSCTL_STAGED_NOT_FOUND'
  /** `update` without a URL on a root that has no recorded source (exit 4). */
  | 'ERR_MOSCTL_SOURCE_NOT_FOUND'
  | 'ERR_MOSCTL_NEEDS_BOOTKIT'
  | 'ERR_MOSCTL_VERIFY_FAILED'
  /** `--partition PATH` is not a whole-disk block device (a regular file, a partition, absent). */
  | 'ERR_MOSCTL_NOT_A_DISK'
  /** The disk or one of its partitions is mounted, used as swap or held by another device. */
  | 'ERR_MOSCTL_DISK_IN_USE'
  /** The disk has a partition table or a filesystem signature and `--wipe` was not given. */
  | 'ERR_MOSCTL_DISK_NOT_EMPTY'
  /** The disk is below the minimum size for the mos layout (the minimum is in `details.minimum`). */
  | 'ERR_MOSCTL_DISK_TOO_SMALL'
  /** Partitioning or formatting failed (e.g. the partition devices did not appear). */
  | 'ERR_MOSCTL_DISK_FAILED'
  /** The disk was partitioned and formatted but the install into it failed; the `cause` says why. */
  | 'ERR_MOSCTL_DISK_INSTALL_FAILED'
  /** An external tool exited non-zero (`details`: tool, args, exitCode, stderr). */
  | 'ERR_MOSCTL_TOOL_FAILED';

export class MosctlError extends Error {
  readonly code: MosctlErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: MosctlErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'MosctlError';
    this.code = code;
    this.details = options?.details ?? {};
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}
