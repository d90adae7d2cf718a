import { isDigest } from '../format/digest';
import { MediaType } from '../format/media-types';
import type { Ctx } from './context';
import { paginate, sendError } from './http-util';

function json(ctx: Ctx, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  ctx.res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

/** GET `/v2/<name>/tags/list[?n=&last=]`: sorted, paginated with `Link`. */
export async function listTags(ctx: Ctx): Promise<void> {
  if (!(await ctx.root.has(ctx.repo))) return sendError(ctx.res, 404, 'NAME_UNKNOWN', `repository ${ctx.repo} not known`);
  const tags = await (await ctx.root.repo(ctx.repo)).tags();
  json(ctx, 200, { name: ctx.repo, tags: paginate(tags, ctx.url, ctx.res) });
}

/** GET `/v2/_catalog[?n=&last=]`. */
export async function catalog(ctx: Ctx): Promise<void> {
  json(ctx, 200, { repositories: paginate(await ctx.root.repositories(), ctx.url, ctx.res) });
}

/**
 * GET `/v2/<name>/referrers/<digest>[?artifactType=]`: an image index of the manifests whose
 * subject is `digest` (found in the repository's layout), 200 even when empty.
 */
export async function referrers(ctx: Ctx): Promise<void> {
  const digest = decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
  if (!isDigest(digest)) return sendError(ctx.res, 400, 'DIGEST_INVALID', `invalid digest ${digest}`);
  const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
  const manifests = (await ctx.root.has(ctx.repo))
    ? await (await ctx.root.repo(ctx.repo)).referrers({ mediaType: MediaType.ImageManifest, digest, size: 0 }, { artifactType })
    : [];
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests }));
  const headers: Record<string, string | number> = { 'content-type': MediaType.ImageIndex, 'content-length': body.length };
  if (artifactType) headers['oci-filters-applied'] = 'artifactType';
  ctx.res.writeHead(200, headers);
  ctx.res.end(body);
}
