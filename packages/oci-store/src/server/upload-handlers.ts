import { RegistryError } from '../errors';
import { isDigest, parseDigest } from '../format/digest';
import { isRepoName } from '../format/names';
import type { Ctx } from './context';
import { sendError } from './http-util';
import type { UploadSession } from './uploads';

const OCTET = 'application/octet-stream';

function created(ctx: Ctx, digest: string): void {
  ctx.res.writeHead(201, { location: `/v2/${ctx.repo}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': 0 });
  ctx.res.end();
}

function accepted(ctx: Ctx, s: UploadSession, status = 202): void {
  ctx.res.writeHead(status, {
    location: `/v2/${ctx.repo}/blobs/uploads/${s.id}`, range: `0-${Math.max(0, s.offset - 1)}`,
    'docker-upload-uuid': s.id, 'content-length': 0,
  });
  ctx.res.end();
}

function hasBody(ctx: Ctx): boolean {
  const len = ctx.req.headers['content-length'];
  return (len !== undefined && len !== '0') || ctx.req.headers['transfer-encoding'] !== undefined;
}

/**
 * POST `/v2/<name>/blobs/uploads/`: cross-repo mount (`mount` + `from`, 201 when the other
 * repository has the blob, else a new session), monolithic upload (`digest` + body, 201), or a
 * new session (202 + Location).
 */
export async function postUpload(ctx: Ctx): Promise<void> {
  const mount = ctx.url.searchParams.get('mount');
  const from = ctx.url.searchParams.get('from');
  const digest = ctx.url.searchParams.get('digest');
  const store = await ctx.root.repo(ctx.repo, { create: true });
  if (mount && isDigest(mount) && from && isRepoName(from) && (await ctx.root.has(from))) {
    const src = await ctx.root.repo(from);
    const size = await src.blobSize(mount);
    if (size !== undefined) {
      const desc = { mediaType: OCTET, digest: mount, size };
      await store.withBatch(async (b) => b.push(desc, await src.fetch(desc)));
      return created(ctx, mount);
    }
  }
  if (digest !== null) {
    parseDigest(digest);
    await store.withBatch(async (b) => {
      const got = await b.ingest(ctx.req, OCTET);
      if (got.digest !== digest) throw new RegistryError('DIGEST_INVALID', `body hashes to ${got.digest}, not ${digest}`, 400);
    });
    return created(ctx, digest);
  }
  if (hasBody(ctx)) ctx.req.resume();
  accepted(ctx, await ctx.uploads.start(store, ctx.repo));
}

function sessionOf(ctx: Ctx): UploadSession {
  const id = decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
  return ctx.uploads.get(ctx.repo, id);
}

/** PATCH `<location>`: appends a chunk (`Content-Range` must start at the current offset). */
export async function patchUpload(ctx: Ctx): Promise<void> {
  const s = sessionOf(ctx);
  const cr = ctx.req.headers['content-range'];
  let start: number | undefined;
  if (cr) {
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+)?$/.exec(cr.trim());
    if (!m) return sendError(ctx.res, 416, 'RANGE_INVALID', `bad Content-Range ${cr}`);
    start = Number(m[1]);
  }
  await ctx.uploads.append(s, ctx.req, start);
  accepted(ctx, s);
}

/** PUT `<location>?digest=`: appends the last chunk if any, checks the digest, commits. */
export async function putUpload(ctx: Ctx): Promise<void> {
  const s = sessionOf(ctx);
  const digest = ctx.url.searchParams.get('digest');
  if (!digest || !isDigest(digest)) return sendError(ctx.res, 400, 'DIGEST_INVALID', 'PUT needs ?digest=');
  if (parseDigest(digest).algorithm !== 'sha256') return sendError(ctx.res, 400, 'UNSUPPORTED', 'only sha256 uploads are supported');
  if (hasBody(ctx)) await ctx.uploads.append(s, ctx.req);
  const actual = ctx.uploads.digest(s);
  if (actual !== digest) {
    await ctx.uploads.end(s, true);
    return sendError(ctx.res, 400, 'DIGEST_INVALID', `upload hashes to ${actual}, not ${digest}`);
  }
  const store = await ctx.root.repo(ctx.repo, { create: true });
  await store.withBatch((b) => b.adopt(s.path, { mediaType: OCTET, digest, size: s.offset }));
  await ctx.uploads.end(s, false);
  created(ctx, digest);
}

/** GET `<location>`: upload progress (204 + Range). */
export async function statusUpload(ctx: Ctx): Promise<void> {
  accepted(ctx, sessionOf(ctx), 204);
}

/** DELETE `<location>`: cancels the upload. */
export async function cancelUpload(ctx: Ctx): Promise<void> {
  await ctx.uploads.end(sessionOf(ctx), true);
  ctx.res.writeHead(204);
  ctx.res.end();
}
