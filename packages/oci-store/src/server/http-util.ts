import type { IncomingMessage, ServerResponse } from 'node:http';
import { OciStoreError, RegistryError, type RegistryErrorCode } from '../errors';

/** Sends a distribution-spec error body `{"errors":[{code,message,detail}]}`. */
export function sendError(res: ServerResponse, status: number, code: RegistryErrorCode, message: string, detail?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify({ errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] }));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Maps any error a handler threw to a wire error (local codes → distribution codes). */
export function sendFailure(res: ServerResponse, e: unknown, kind: 'blob' | 'manifest' | 'upload' | 'repo'): void {
  if (e instanceof RegistryError) return sendError(res, e.status, e.code, e.message, e.detail);
  const code = e instanceof OciStoreError ? e.code : undefined;
  const msg = (e as Error)?.message ?? String(e);
  switch (code) {
    case 'ERR_OCI_NOT_FOUND':
      return sendError(res, 404, kind === 'manifest' ? 'MANIFEST_UNKNOWN' : kind === 'repo' ? 'NAME_UNKNOWN' : kind === 'upload' ? 'BLOB_UPLOAD_UNKNOWN' : 'BLOB_UNKNOWN', msg);
    case 'ERR_OCI_TAG_NOT_FOUND':
      return sendError(res, 404, 'MANIFEST_UNKNOWN', msg);
    case 'ERR_OCI_INVALID_NAME':
      return sendError(res, 400, kind === 'repo' ? 'NAME_INVALID' : 'MANIFEST_INVALID', msg);
    case 'ERR_OCI_INVALID_DIGEST':
    case 'ERR_OCI_DIGEST_MISMATCH':
      return sendError(res, 400, 'DIGEST_INVALID', msg);
    case 'ERR_OCI_SIZE_MISMATCH':
      return sendError(res, 400, 'SIZE_INVALID', msg);
    case 'ERR_OCI_INVALID_MANIFEST':
    case 'ERR_OCI_INVALID_DESCRIPTOR':
    case 'ERR_OCI_TOO_LARGE':
      return sendError(res, 400, 'MANIFEST_INVALID', msg);
    case 'ERR_OCI_LOCKED':
      return sendError(res, 503, 'UNKNOWN', msg, undefined, { 'retry-after': '1' });
    default:
      return sendError(res, 500, 'UNKNOWN', 'internal error');
  }
}

/** Reads a request body into memory up to `cap` bytes (manifests). */
export async function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > cap) throw new RegistryError('SIZE_INVALID', `body larger than ${cap} bytes`, 413);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, n);
}

/** Parses `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` against a size; undefined if absent, null if unsatisfiable. */
export function parseRange(h: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!h) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return null;
  return { start, end };
}

/** Pagination of sorted lists (`n`, `last`) with the `Link` header of the next page. */
export function paginate(all: string[], url: URL, res: ServerResponse): string[] {
  const last = url.searchParams.get('last');
  const nRaw = url.searchParams.get('n');
  let list = last ? all.filter((x) => x > last) : all;
  if (nRaw !== null) {
    const n = Number(nRaw);
    if (Number.isSafeInteger(n) && n >= 0 && list.length > n) {
      list = list.slice(0, n);
      if (n > 0) res.setHeader('link', `<${url.pathname}?n=${n}&last=${encodeURIComponent(list[list.length - 1])}>; rel="next"`);
    }
  }
  return list;
}
