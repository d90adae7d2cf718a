import { RegistryError, type RegistryErrorCode } from '../errors';
import { readAll } from '../lib/read-all';
import type { HttpResponse } from './http';

const KNOWN = new Set<string>([
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED',
  'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS', 'RANGE_INVALID',
]);

function fallbackCode(status: number): RegistryErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOOMANYREQUESTS';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 416) return 'RANGE_INVALID';
  return 'UNKNOWN';
}

/**
 * Reads an error response (`{"errors":[{code,message,detail}]}`, capped at 64 KiB) into a
 * {@link RegistryError}; bodies that are not in that shape still give the status and a code
 * derived from it. `what` names the request for the message.
 */
export async function wireError(res: HttpResponse, what: string): Promise<RegistryError> {
  let body = '';
  try {
    body = (await readAll(res.body, 64 << 10, 'error body')).toString('utf8');
  } catch {
    // a truncated or huge error body: keep the status
  }
  let code: RegistryErrorCode = fallbackCode(res.status);
  let message = `${what}: HTTP ${res.status}`;
  let detail: unknown;
  try {
    const first = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string; detail?: unknown }> }).errors?.[0];
    if (first?.code && KNOWN.has(first.code)) code = first.code as RegistryErrorCode;
    if (first?.message) message = `${what}: ${first.message} (HTTP ${res.status}${first.code ? `, ${first.code}` : ''})`;
    detail = first?.detail;
  } catch {
    if (body && body.length < 200) message += `: ${body.trim()}`;
  }
  return new RegistryError(code, message, res.status, detail);
}
