/** When and how often to retry. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First backoff delay. Default 200 ms; doubles each time, with jitter, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  /** Longest backoff delay (and cap for `Retry-After`). Default 10 000 ms. */
  maxDelayMs?: number;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT', 'HPE_INVALID_CHUNK_SIZE',
]);

/** True for network failures worth another attempt (reset, refused, timeout, truncated). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  if (code && CONNECTION_CODES.has(code)) return true;
  const msg = (e as Error)?.message ?? '';
  return /socket hang up|premature close|aborted/i.test(msg) && (e as Error).name !== 'AbortError';
}

/** True for statuses worth another attempt: 429 and 5xx except 501/505. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** The delay before retry number `attempt` (0-based), honouring a `Retry-After` header. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}, retryAfter?: string): number {
  const max = opts.maxDelayMs ?? 10_000;
  if (retryAfter) {
    const secs = Number(retryAfter);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, max);
  }
  const base = (opts.baseDelayMs ?? 200) * 2 ** attempt;
  return Math.min(max, base / 2 + Math.random() * (base / 2));
}
