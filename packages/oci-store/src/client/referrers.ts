import { MediaType } from '../format/media-types';
import { parseGraphBlob, parseIndex } from '../format/parse-manifest';
import type { Descriptor, ImageIndex } from '../format/types';
import { canonicalJson } from '../format/canonical-json';
import { sha256Digest } from '../format/digest';
import { JSON_CAP, readAll } from '../lib/read-all';
import type { ReferrersOptions } from '../store/interfaces';
import { repositoryScope } from './challenge';
import { discardBody, header } from './http';
import { getManifest, nextLink, putManifest, referrersTag } from './manifests';
import type { RemoteRepository } from './remote-repository';

/**
 * Lists referrers of `digest`: `GET /v2/<name>/referrers/<digest>[?artifactType=]` (following
 * pagination, filtering locally when the registry did not apply the filter); a 404 means the
 * registry has no referrers API, so the `sha256-<hex>` tag's index is read instead.
 */
export async function listReferrers(repo: RemoteRepository, digest: string, opts: ReferrersOptions): Promise<Descriptor[]> {
  const q = opts.artifactType ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
  let url: string | URL = `/v2/${repo.name}/referrers/${digest}${q}`;
  const out: Descriptor[] = [];
  for (let page = 0; page < 1000; page++) {
    const res = await repo.client.send({ method: 'GET', path: url, headers: { accept: MediaType.ImageIndex }, scopes: [repositoryScope(repo.name, ['pull'])] });
    if (res.status === 404 && page === 0) {
      await discardBody(res);
      return fromFallback(repo, digest, opts);
    }
    if (res.status !== 200) return repo.client.fail(res, `referrers of ${digest}`);
    const index = parseIndex(await readAll(res.body, JSON_CAP, 'referrers response'), MediaType.ImageIndex);
    const filtered = (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    out.push(...(opts.artifactType && !filtered ? index.manifests.filter((d) => d.artifactType === opts.artifactType) : index.manifests));
    const next = nextLink(res);
    if (!next) break;
    url = next;
  }
  return out;
}

async function fromFallback(repo: RemoteRepository, digest: string, opts: ReferrersOptions): Promise<Descriptor[]> {
  const got = await getManifest(repo.client, repo.name, referrersTag(digest));
  if (!got) return [];
  const index = parseIndex(got.bytes, got.desc.mediaType === MediaType.ImageIndex ? MediaType.ImageIndex : got.desc.mediaType);
  return opts.artifactType ? index.manifests.filter((d) => d.artifactType === opts.artifactType) : index.manifests;
}

/**
 * Keeps the tag-schema fallback up to date after pushing a manifest with a `subject` to a
 * registry without the referrers API: reads `sha256-<subject hex>` (or starts an empty
 * index), adds the new manifest's descriptor (with artifactType and annotations) unless
 * present, and PUTs the index back under that tag.
 */
export async function updateFallbackIndex(repo: RemoteRepository, desc: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<void> {
  const parsed = parseGraphBlob(bytes, desc.mediaType);
  const subject = parsed?.value.subject;
  if (!parsed || !subject) return;
  const tag = referrersTag(subject.digest);
  const current = await getManifest(repo.client, repo.name, tag, undefined, signal);
  const index: ImageIndex = current ? parseIndex(current.bytes, MediaType.ImageIndex) : { schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [] };
  if (index.manifests.some((d) => d.digest === desc.digest)) return;
  const artifactType = parsed.value.artifactType ?? (parsed.kind === 'manifest' ? parsed.value.config.mediaType : undefined);
  index.manifests.push({
    mediaType: desc.mediaType, digest: desc.digest, size: desc.size,
    ...(parsed.value.annotations ? { annotations: parsed.value.annotations } : {}),
    ...(artifactType ? { artifactType } : {}),
  });
  const out = canonicalJson({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: index.manifests });
  await putManifest(repo.client, repo.name, tag, { mediaType: MediaType.ImageIndex, digest: sha256Digest(out), size: out.length }, out, signal);
}
