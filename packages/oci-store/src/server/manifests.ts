import { isDigest, sha256Digest } from '../format/digest';
import { isGraphType, isIndexType, MediaType } from '../format/media-types';
import { isRegistryTag } from '../format/names';
import { parseGraphBlob, sniffMediaType } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import type { LayoutStore } from '../layout/layout-store';
import { JSON_CAP } from '../lib/read-all';
import type { Ctx } from './context';
import { readBody, sendError } from './http-util';

/** The descriptor `ref` (tag or digest) names in `store`, like zot's GetManifestDescByReference. */
async function lookup(store: LayoutStore, ref: string): Promise<Descriptor | undefined> {
  if (isDigest(ref)) {
    const entry = (await store.index()).manifests.find((d) => d.digest === ref);
    if (entry) return entry;
    // A child of an index pushed by digest, or a manifest only reachable through an index.
    const size = await store.blobSize(ref);
    if (size === undefined || size > JSON_CAP) return undefined;
    const bytes = await store.fetchBytes({ mediaType: 'application/octet-stream', digest: ref, size }).catch(() => undefined);
    if (!bytes) return undefined;
    const mediaType = sniffMediaType(bytes);
    return isGraphType(mediaType) ? { mediaType, digest: ref, size: bytes.length } : undefined;
  }
  if (!isRegistryTag(ref)) return undefined;
  return (await store.index()).manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === ref);
}

/** GET/HEAD `/v2/<name>/manifests/<ref>`. */
export async function getManifest(ctx: Ctx): Promise<void> {
  const ref = decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
  if (!(await ctx.root.has(ctx.repo))) return sendError(ctx.res, 404, 'NAME_UNKNOWN', `repository ${ctx.repo} not known`);
  const store = await ctx.root.repo(ctx.repo);
  const desc = await lookup(store, ref);
  if (!desc) return sendError(ctx.res, 404, 'MANIFEST_UNKNOWN', `manifest ${ref} not known`);
  const bytes = await store.fetchBytes(desc, JSON_CAP);
  ctx.res.writeHead(200, { 'content-type': desc.mediaType, 'content-length': bytes.length, 'docker-content-digest': desc.digest, etag: `"${desc.digest}"` });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : bytes);
}

/**
 * PUT `/v2/<name>/manifests/<ref>`: the exact bytes are stored (digest of the body), parsed by
 * their Content-Type, their blobs must exist (subject excepted), then tagged (tag) or added
 * as an untagged root (digest) in one batch. `OCI-Subject` tells the client referrers work.
 */
export async function putManifest(ctx: Ctx): Promise<void> {
  const ref = decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
  const mediaType = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim();
  const bytes = await readBody(ctx.req, JSON_CAP);
  const digest = sha256Digest(bytes);
  if (isDigest(ref)) {
    if (ref !== digest) return sendError(ctx.res, 400, 'DIGEST_INVALID', `body hashes to ${digest}, not ${ref}`);
  } else if (!isRegistryTag(ref)) {
    return sendError(ctx.res, 400, 'MANIFEST_INVALID', `invalid tag ${JSON.stringify(ref)}`);
  }
  const type = isGraphType(mediaType) ? mediaType : sniffMediaType(bytes);
  if (!isGraphType(type)) return sendError(ctx.res, 400, 'MANIFEST_INVALID', `unsupported manifest media type ${JSON.stringify(mediaType)}`);
  let parsed;
  try {
    parsed = parseGraphBlob(bytes, type)!;
  } catch (e) {
    return sendError(ctx.res, 400, 'MANIFEST_INVALID', (e as Error).message);
  }
  const store = await ctx.root.repo(ctx.repo, { create: true });
  const needed = parsed.kind === 'manifest' ? [parsed.value.config, ...parsed.value.layers] : parsed.value.manifests;
  for (const d of needed) {
    if (d.data !== undefined && d.mediaType === MediaType.Empty) continue;
    if (isIndexType(type) ? !(await lookup(store, d.digest)) : !(await store.exists(d))) {
      return sendError(ctx.res, 400, isIndexType(type) ? 'MANIFEST_UNKNOWN' : 'MANIFEST_BLOB_UNKNOWN', `${d.digest} is not in ${ctx.repo}`, { digest: d.digest });
    }
  }
  const desc: Descriptor = { mediaType: type, digest, size: bytes.length };
  await store.withBatch(async (b) => {
    await b.push(desc, bytes);
    if (isDigest(ref)) await b.addRoot(desc);
    else await b.tag(desc, ref);
  });
  const headers: Record<string, string | number> = { location: `/v2/${ctx.repo}/manifests/${digest}`, 'docker-content-digest': digest, 'content-length': 0 };
  if (parsed.value.subject) headers['oci-subject'] = parsed.value.subject.digest;
  ctx.res.writeHead(201, headers);
  ctx.res.end();
}

/** DELETE `/v2/<name>/manifests/<ref>`: removes the tag, or every entry of the digest (blobs stay until gc). */
export async function deleteManifest(ctx: Ctx): Promise<void> {
  const ref = decodeURIComponent(ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1));
  if (!(await ctx.root.has(ctx.repo))) return sendError(ctx.res, 404, 'NAME_UNKNOWN', `repository ${ctx.repo} not known`);
  const store = await ctx.root.repo(ctx.repo);
  const index = await store.index();
  if (isDigest(ref)) {
    const tags = index.manifests.filter((d) => d.digest === ref);
    if (tags.length === 0) return sendError(ctx.res, 404, 'MANIFEST_UNKNOWN', `manifest ${ref} not known`);
    await store.withBatch(async (b) => {
      for (const d of tags) {
        const t = d.annotations?.['org.opencontainers.image.ref.name'];
        if (t) await b.untag(t);
      }
      await b.removeRoot(ref);
    });
  } else {
    if (!index.manifests.some((d) => d.annotations?.['org.opencontainers.image.ref.name'] === ref)) {
      return sendError(ctx.res, 404, 'MANIFEST_UNKNOWN', `tag ${ref} not known`);
    }
    await store.untag(ref);
  }
  ctx.res.writeHead(202, { 'content-length': 0 });
  ctx.res.end();
}
