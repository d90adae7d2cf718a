import { stat } from 'node:fs/promises';
import { isDigest } from '../format/digest';
import { sendFile } from './send-file';
import type { Ctx } from './context';
import { parseRange, sendError } from './http-util';

function digestFromPath(ctx: Ctx): string {
  return decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
}

/**
 * GET/HEAD `/v2/<name>/blobs/<digest>` with `Range` (206). With `verifyOnServe`, the first full
 * GET of a blob file is hashed while it is sent and its last chunk held back until the digest
 * matches, so a corrupt blob breaks the response instead of being delivered as if it were good;
 * later GETs of the unchanged file (same inode, size, mtime, ctime) are not hashed again.
 */
export async function getBlob(ctx: Ctx): Promise<void> {
  const found = await findBlob(ctx);
  if (!found) return;
  const { digest, store, size } = found;
  const range = parseRange(ctx.req.headers.range, size);
  if (range === null) return sendError(ctx.res, 416, 'RANGE_INVALID', `unsatisfiable range ${ctx.req.headers.range}`, undefined, { 'content-range': `bytes */${size}` });
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes', etag: `"${digest}"`,
  };
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['content-length'] = range.end - range.start + 1;
  } else headers['content-length'] = size;
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (ctx.req.method === 'HEAD' || size === 0) return void ctx.res.end();
  const path = store.blobPath(digest);
  const st = ctx.verifyOnServe && !range ? await stat(path) : undefined;
  const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : '';
  // The first full read since the file changed is verified while it is served.
  const verify = st && ctx.verified.get(digest) !== key ? { digest } : undefined;
  try {
    await sendFile(ctx.res, path, range?.start ?? 0, range?.end ?? size - 1, verify);
    if (verify) ctx.verified.set(digest, key);
  } catch (e) {
    ctx.res.destroy(e as Error); // the client sees a broken body and verifies/resumes on its side
  }
}

/** DELETE `/v2/<name>/blobs/<digest>` (and the index entries naming it). */
export async function deleteBlob(ctx: Ctx): Promise<void> {
  const found = await findBlob(ctx);
  if (!found) return;
  const { digest, store, size } = found;
  await store.delete({ mediaType: 'application/octet-stream', digest, size });
  ctx.res.writeHead(202, { 'content-length': 0 });
  ctx.res.end();
}

/** The blob a request names, or undefined after answering the distribution error for why not. */
async function findBlob(ctx: Ctx) {
  const digest = digestFromPath(ctx);
  if (!isDigest(digest)) return void sendError(ctx.res, 400, 'DIGEST_INVALID', `invalid digest ${digest}`);
  if (!(await ctx.root.has(ctx.repo))) return void sendError(ctx.res, 404, 'NAME_UNKNOWN', `repository ${ctx.repo} not known`);
  const store = await ctx.root.repo(ctx.repo);
  const size = await store.blobSize(digest);
  if (size === undefined) return void sendError(ctx.res, 404, 'BLOB_UNKNOWN', `blob ${digest} not known`, digest);
  return { digest, store, size };
}
