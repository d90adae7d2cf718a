import type { IncomingMessage } from 'node:http';

/** A request the server refuses, with its HTTP status (400, 403, 404, 405, 413, ...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The most a request body may hold: every operation takes a few fields. */
export const MAX_BODY = 64 * 1024;

/**
 * Reads a JSON object body of at most `MAX_BODY` bytes (413 beyond, counted as it streams, so a
 * huge body is never held); an empty body is `{}`. Anything but a JSON object is a 400.
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) throw new HttpError(413, 'ERR_API_TOO_LARGE', `the request body is ${declared} bytes; at most ${MAX_BODY} are accepted`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'ERR_API_TOO_LARGE', `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new HttpError(400, 'ERR_API_BAD_JSON', `the request body is not JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'ERR_API_BAD_JSON', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

type FieldType = 'string' | 'boolean' | 'integer';

/**
 * Checks a body against the fields an operation takes: unknown fields and wrong types are 400s
 * naming the field, so a typo never silently does something else.
 */
export function checkFields<T extends Record<string, unknown>>(body: Record<string, unknown>, fields: Record<keyof T & string, FieldType>): Partial<T> {
  for (const [k, v] of Object.entries(body)) {
    const type = (fields as Record<string, FieldType>)[k];
    if (!type) throw new HttpError(400, 'ERR_API_UNKNOWN_FIELD', `unknown field "${k}" (this operation takes ${Object.keys(fields).join(', ') || 'no fields'})`);
    const ok = type === 'integer' ? Number.isSafeInteger(v) : typeof v === type;
    if (!ok) throw new HttpError(400, 'ERR_API_BAD_FIELD', `field "${k}" must be ${type === 'integer' ? 'an integer' : `a ${type}`}`);
  }
  return body as Partial<T>;
}
