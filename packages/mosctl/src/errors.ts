/** Errors of the mosctl operations, each with a stable `code` the CLI maps to an exit status. */
export type MosctlErrorCode =
  | 'ERR_MOSCTL_INVALID'
  | 'ERR_MOSCTL_NOT_FOUND'
  | 'ERR_MOSCTL_NEEDS_BOOTKIT'
  | 'ERR_MOSCTL_VERIFY_FAILED';

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
