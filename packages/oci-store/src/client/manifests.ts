import { DigestMismatchError, RegistryProtocolError, SizeMismatchError } from '../errors';
import { digestLike, parseDigest, sha256Digest } from '../format/digest';
import { MANIFEST_ACCEPT, MediaType } from '../format/media-types';
import { sniffMediaType } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import { JSON_CAP, readAll } from '../lib/read-all';
import { repositoryScope } from './challenge';
import { discardBody, header, type HttpResponse } from './http';
import type { RegistryClient } from './registry-client';

/** A manifest as fetched: its descriptor (digest of the exact bytes) and the bytes. */
export interface FetchedManifest {
  desc: Descriptor;
  bytes: Buffer;
}

function accept(extra?: string): string {
  return extra && !MANIFEST_ACCEPT.includes(extra) ? `${MANIFEST_ACCEPT}, ${extra}` : MANIFEST_ACCEPT;
}

function contentType(res: HttpResponse): string | undefined {
  const ct = header(res, 'content-type')?.split(';')[0].trim();
  return ct && ct !== 'application/json' && ct !== 'text/plain' && ct !== 'application/octet-stream' ? ct : undefined;
}

/** HEAD of a manifest by tag or digest (with `Accept`); undefined on 404. */
export async function headManifest(client: RegistryClient, repo: string, ref: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
  const res = await client.send({ method: 'HEAD', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: accept() }, scopes: [repositoryScope(repo, ['pull'])], signal });
  await discardBody(res);
  if (res.status === 404) return undefined;
  if (res.status !== 200) return client.fail(res, `HEAD manifest ${repo}:${ref}`);
  const digest = header(res, 'docker-content-digest');
  const size = Number(header(res, 'content-length'));
  const mediaType = contentType(res);
  if (!digest || !Number.isSafeInteger(size) || !mediaType) {
    const got = await getManifest(client, repo, ref, undefined, signal);
    return got?.desc;
  }
  parseDigest(digest);
  return { mediaType, digest, size };
}

/**
 * GET of a manifest by tag or digest, with the OCI and Docker `Accept` types (docker-registry
 * answers 404 without them). The digest is computed over the exact body; a
 * `Docker-Content-Digest` or requested digest that disagrees rejects the response. With
 * `expected`, size and digest must match it. Undefined on 404.
 */
export async function getManifest(client: RegistryClient, repo: string, ref: string, expected?: Descriptor, signal?: AbortSignal): Promise<FetchedManifest | undefined> {
  const res = await client.send({ method: 'GET', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: accept(expected?.mediaType) }, scopes: [repositoryScope(repo, ['pull'])], signal });
  if (res.status === 404) {
    await discardBody(res);
    return undefined;
  }
  if (res.status !== 200) return client.fail(res, `GET manifest ${repo}:${ref}`);
  const bytes = await readAll(res.body, JSON_CAP, `manifest ${repo}:${ref}`);
  const byRef = ref.includes(':') ? ref : undefined;
  const want = expected?.digest ?? byRef;
  const digest = want ? digestLike(want, bytes) : sha256Digest(bytes);
  if (want && digest !== want) throw new DigestMismatchError(`${client.registry} sent manifest ${repo}@${want} whose bytes hash to ${digest}`, { expected: want, actual: digest });
  const claimed = header(res, 'docker-content-digest');
  if (claimed && !want && parseDigest(claimed).algorithm === 'sha256' && claimed !== digest) {
    throw new DigestMismatchError(`${client.registry} says ${repo}:${ref} is ${claimed} but its bytes hash to ${digest}`, { expected: claimed, actual: digest });
  }
  if (expected && bytes.length !== expected.size) {
    throw new SizeMismatchError(`manifest ${expected.digest} has ${bytes.length} bytes, expected ${expected.size}`, { digest: expected.digest, expected: expected.size, actual: bytes.length });
  }
  const mediaType = contentType(res) ?? expected?.mediaType ?? sniffMediaType(bytes);
  return { desc: { mediaType, digest, size: bytes.length }, bytes };
}

/** What a manifest PUT told us. */
export interface PutManifestResult {
  digest: string;
  /** The registry processed `subject` (it has the referrers API). */
  subjectHandled: boolean;
}

/** PUT of manifest bytes under a tag or digest; checks the returned digest. */
export async function putManifest(client: RegistryClient, repo: string, ref: string, desc: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<PutManifestResult> {
  const res = await client.send({
    method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, body: bytes, signal,
    headers: { 'content-type': desc.mediaType, 'content-length': bytes.length }, scopes: [repositoryScope(repo, ['pull', 'push'])],
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) return client.fail(res, `PUT manifest ${repo}:${ref}`);
  await discardBody(res);
  const got = header(res, 'docker-content-digest');
  if (got && got !== desc.digest && parseDigest(got).algorithm === parseDigest(desc.digest).algorithm) {
    throw new RegistryProtocolError(`${client.registry} stored ${repo}:${ref} as ${got}, expected ${desc.digest}`, { expected: desc.digest, actual: got });
  }
  return { digest: desc.digest, subjectHandled: header(res, 'oci-subject') !== undefined };
}

/** The fallback tag of the referrers tag schema: `sha256-<hex>` (algorithm ≤ 32, hex ≤ 64 chars). */
export function referrersTag(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`.replace(/[^a-zA-Z0-9._-]/g, '-');
}

/** Is `mt` one of the manifest types that go through the manifests endpoint? */
export function viaManifests(mt: string): boolean {
  return mt === MediaType.ImageManifest || mt === MediaType.ImageIndex || mt === MediaType.DockerManifest || mt === MediaType.DockerManifestList;
}

/** The `rel="next"` target of a `Link` header, resolved against the response URL. */
export function nextLink(res: HttpResponse): URL | undefined {
  const link = header(res, 'link');
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? new URL(m[1], res.url) : undefined;
}
