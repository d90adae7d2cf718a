/**
 * Errors of `@mos/services`, each with a stable `code` callers switch on (mosctl maps codes to
 * exit statuses). Errors of other packages (`ERR_MANIFEST_*`, `ERR_OCI_*`) pass through as
 * they are; errors the supervisor reports over its socket keep their code (see
 * {@link ForwardedError}).
 *
 * @example
 * import { ServicesError } from '@mos/services';
 * try { await activate({ root, name: 'web', supervisorCommand }); } catch (e) {
 *   if (e instanceof ServicesError && e.code === 'ERR_SERVICES_ADDRESS_IN_USE') console.log(e.details.holder);
 * }
 */
export type ServicesErrorCode =
  | 'ERR_SERVICES_INVALID'
  | 'ERR_SERVICES_TARGET_NOT_FOUND'
  | 'ERR_SERVICES_HOSTFS_REFUSED'
  | 'ERR_SERVICES_UNSUPPORTED_TYPE'
  | 'ERR_SERVICES_NO_ENTRYPOINT'
  | 'ERR_SERVICES_IMAGE_NOT_FOUND'
  | 'ERR_SERVICES_IMAGE_INVALID'
  | 'ERR_SERVICES_ADDRESS_IN_USE'
  | 'ERR_SERVICES_PORT_IN_USE'
  | 'ERR_SERVICES_NO_ADDRESSES'
  | 'ERR_SERVICES_VOLUME_FAILED'
  | 'ERR_SERVICES_TOOL_FAILED'
  | 'ERR_SERVICES_START_FAILED'
  | 'ERR_SERVICES_STATE_CORRUPT'
  | 'ERR_SERVICES_SUPERVISOR_BUSY'
  | 'ERR_SERVICES_SUPERVISOR_UNREACHABLE'
  | 'ERR_SERVICES_SUPERVISOR_STOPPING'
  | 'ERR_SERVICES_SYSTEMD_UNAVAILABLE';

/** Base class of every error this package raises: `code` is stable, `details` structured. */
export class ServicesError extends Error {
  readonly code: ServicesErrorCode;
  /** Structured context (target, holder, tool, exit code…); never secrets. */
  readonly details: Record<string, unknown>;
  constructor(code: ServicesErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServicesError';
    this.code = code;
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Bad input (hostile name, bad settings, a command lxc cannot represent): nothing was changed. */
export const invalid = (message: string, details: Record<string, unknown> = {}) => new ServicesError('ERR_SERVICES_INVALID', message, details);

/** An external tool (lxc-*, ip, iptables, mount, mkfs) failed; `details` has tool, args, exit code, stderr tail. */
export class ToolFailedError extends ServicesError {
  constructor(message: string, details: { tool: string; args: string[]; exitCode: number | null; stderr?: string }, options?: { cause?: unknown }) {
    super('ERR_SERVICES_TOOL_FAILED', message, details, options);
  }
}

/**
 * An error the supervisor process reported for a request, rebuilt in the client with its
 * original `code` (any package's: `ERR_SERVICES_*`, `ERR_MANIFEST_*`, `ERR_OCI_*`), message and
 * details, so callers and exit codes see the same thing as in-process.
 */
export class ForwardedError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(json: Record<string, unknown>) {
    super(String(json.message ?? 'the supervisor reported an error'));
    const { name, code, message, ...details } = json;
    void message;
    this.name = typeof name === 'string' ? name : 'ForwardedError';
    this.code = typeof code === 'string' ? code : 'ERR_SERVICES_SUPERVISOR_UNREACHABLE';
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Every error class a caller of this package can see from it. */
export type AnyServicesError = ServicesError | ToolFailedError | ForwardedError;

/** The JSON form of any error (ours, another package's with `toJSON`, or a plain Error). */
export function errorToJson(e: unknown): Record<string, unknown> {
  const withJson = e as { toJSON?: () => Record<string, unknown> };
  if (e instanceof Error && typeof withJson.toJSON === 'function') return withJson.toJSON();
  if (e instanceof Error) return { name: e.name, code: (e as { code?: unknown }).code ?? 'ERR_SERVICES_INTERNAL', message: e.message };
  return { name: 'Error', code: 'ERR_SERVICES_INTERNAL', message: String(e) };
}
