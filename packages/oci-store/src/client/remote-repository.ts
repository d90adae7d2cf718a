import { Readable } from 'node:stream';
import { NotFoundError, RegistryError } from '../errors';
import { assertRegistryTag, assertRepoName } from '../format/names';
import { isGraphType } from '../format/media-types';
import type { Descriptor } from '../format/types';
import { assertDescriptor } from '../lib/assert';
import { JSON_CAP, readAll } from '../lib/read-all';
import { verifyBytes } from '../lib/verify-stream';
import type { RegistryReference } from '../reference/parse-reference';
import type { Deleter, PushOptions, ReferrerLister, ReferrersOptions, RootAdder, Store, TagLister, TagResolver, Tagger } from '../store/interfaces';
import { ResumableDownload } from './blob-download';
import { uploadBlob, type UploadOptions } from './blob-upload';
import { repositoryScope } from './challenge';
import { credentialResolver } from './credentials';
import { discardBody } from './http';
import { getManifest, headManifest, nextLink, putManifest, viaManifests } from './manifests';
import { listReferrers, updateFallbackIndex } from './referrers';
import { RegistryClient, type ClientOptions } from './registry-client';

/** Options of a remote repository. */
export interface RemoteOptions extends ClientOptions, Pick<UploadOptions, 'monolithicMax' | 'chunkSize' | 'mountFrom'> {
  /** Share one client (auth, sockets) between repositories of a registry. Default: a new one. */
  client?: RegistryClient;
}

/**
 * A repository on an OCI registry as a store: verified reads (manifests by digest, blobs with
 * Range resume), HEAD-before-upload pushes with cross-repo mount, tags with pagination, and
 * referrers through the API or the `sha256-<hex>` tag fallback (kept up to date on push when
 * the registry lacks the API). Import from `@mos/oci-store`.
 *
 * @example
 * import { RemoteRepository, parseReference } from '@mos/oci-store';
 * const repo = RemoteRepository.fromReference(parseReference('docker://127.0.0.1:5000/mos:1.0') as RegistryReference);
 * const desc = await repo.resolve('1.0');
 */
export class RemoteRepository implements Store, TagResolver, Tagger, TagLister, ReferrerLister, Deleter, RootAdder {
  readonly client: RegistryClient;
  constructor(client: RegistryClient, readonly name: string, private readonly opts: RemoteOptions = {}) {
    assertRepoName(name);
    this.client = client;
  }

  /** A repository for a parsed `docker://` reference (credentials default to flags/env/config). */
  static fromReference(ref: RegistryReference, opts: RemoteOptions = {}): RemoteRepository {
    const client = opts.client ?? new RegistryClient(ref.registry, { scheme: ref.scheme, credentials: opts.credentials ?? credentialResolver(), ...opts });
    return new RemoteRepository(client, ref.repository, opts);
  }

  private get pull(): string[] {
    return [repositoryScope(this.name, ['pull'])];
  }

  /** HEAD on the manifest or blob. */
  async exists(desc: Descriptor): Promise<boolean> {
    assertDescriptor(desc);
    if (viaManifests(desc.mediaType)) return (await headManifest(this.client, this.name, desc.digest)) !== undefined;
    const res = await this.client.send({ method: 'HEAD', path: `/v2/${this.name}/blobs/${desc.digest}`, scopes: this.pull });
    await discardBody(res);
    if (res.status === 404) return false;
    if (res.status !== 200) return this.client.fail(res, `HEAD blob ${desc.digest}`);
    return true;
  }

  /** A verifying stream of a blob (resumed with Range on broken connections) or manifest. */
  async fetch(desc: Descriptor, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
    assertDescriptor(desc);
    if (viaManifests(desc.mediaType)) {
      const got = await getManifest(this.client, this.name, desc.digest, desc, opts.signal);
      if (!got) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${this.name}@${desc.digest} not found at ${this.client.registry}`, 404);
      return Readable.from([got.bytes]);
    }
    const open = async (offset: number) => {
      const res = await this.client.send({
        method: 'GET', path: `/v2/${this.name}/blobs/${desc.digest}`, scopes: this.pull, signal: opts.signal,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      });
      if (res.status === 200 || res.status === 206) return res;
      return this.client.fail(res, `GET blob ${this.name}@${desc.digest}`);
    };
    const first = await open(0); // not-found and auth errors surface here, before a stream exists
    let used = false;
    const stream = new ResumableDownload(desc, (o) => (used || o > 0 ? open(o) : ((used = true), Promise.resolve(first))), this.client, undefined, opts.signal);
    return stream;
  }

  /** The manifest's exact bytes and descriptor, by tag or digest; a RegistryError when absent. */
  async fetchManifest(ref: string, signal?: AbortSignal) {
    const got = await getManifest(this.client, this.name, ref, undefined, signal);
    if (!got) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${this.name}:${ref} not found at ${this.client.registry}`, 404);
    return got;
  }

  /** Pushes a blob (HEAD first; mount; upload) or a manifest (by digest). Idempotent. */
  async push(desc: Descriptor, content: Readable | Uint8Array, opts: PushOptions = {}): Promise<void> {
    assertDescriptor(desc);
    if (viaManifests(desc.mediaType)) {
      const bytes = content instanceof Uint8Array ? Buffer.from(content) : await readAll(content, JSON_CAP, desc.digest);
      await this.pushManifest(desc, bytes, undefined, opts.signal);
      return;
    }
    if (!opts.knownAbsent && (await this.exists(desc))) {
      if (content instanceof Readable) content.destroy();
      opts.onBytes?.(desc.size);
      return;
    }
    await uploadBlob(this.client, this.name, desc, content, { ...this.opts, onBytes: opts.onBytes, signal: opts.signal });
  }

  /**
   * PUTs manifest bytes under `tag` (or by digest). A manifest with a `subject` on a registry
   * without the referrers API is added to the `sha256-<hex>` fallback index.
   */
  async pushManifest(desc: Descriptor, bytes: Buffer, tag?: string, signal?: AbortSignal): Promise<void> {
    assertDescriptor(desc);
    verifyBytes(desc, bytes);
    if (tag !== undefined) assertRegistryTag(tag);
    const result = await putManifest(this.client, this.name, tag ?? desc.digest, desc, bytes, signal);
    if (!result.subjectHandled && isGraphType(desc.mediaType)) await updateFallbackIndex(this, desc, bytes, signal);
  }

  /** The descriptor a tag (or digest) names: HEAD with Accept, GET if the headers are incomplete. */
  async resolve(ref: string): Promise<Descriptor> {
    if (!ref.includes(':')) assertRegistryTag(ref);
    const d = await headManifest(this.client, this.name, ref);
    if (!d) throw new RegistryError('MANIFEST_UNKNOWN', `${this.name}:${ref} not found at ${this.client.registry}`, 404);
    return d;
  }

  /** Points `tag` at a manifest already in the repository (GET by digest, PUT under the tag). */
  async tag(desc: Descriptor, tag: string): Promise<void> {
    assertRegistryTag(tag);
    const got = await getManifest(this.client, this.name, desc.digest, desc);
    if (!got) throw new NotFoundError(`manifest ${desc.digest} is not in ${this.name}`, { digest: desc.digest });
    await putManifest(this.client, this.name, tag, got.desc, got.bytes);
  }

  /** A by-digest manifest push is already a root on a registry. */
  async addRoot(): Promise<void> {}

  /** Every tag, following `Link` pagination; `pageSize` asks for `n` per page. */
  async tags(opts: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    let url: string | URL = `/v2/${this.name}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.client.send({ method: 'GET', path: url, scopes: this.pull });
      if (res.status === 404) {
        await discardBody(res);
        return out;
      }
      if (res.status !== 200) return this.client.fail(res, `tags of ${this.name}`);
      const body = JSON.parse((await readAll(res.body, 16 << 20, 'tag list')).toString('utf8')) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const next = nextLink(res);
      if (!next) break;
      url = next;
    }
    return out;
  }

  /** Referrers via the API; on 404 via the `sha256-<hex>` fallback index. */
  referrers(subject: Descriptor, opts: ReferrersOptions = {}): Promise<Descriptor[]> {
    assertDescriptor(subject, 'subject');
    return listReferrers(this, subject.digest, opts);
  }

  /** DELETE of a manifest or blob (registries may refuse: 405 → RegistryError UNSUPPORTED). */
  async delete(desc: Descriptor): Promise<void> {
    assertDescriptor(desc);
    const kind = viaManifests(desc.mediaType) ? 'manifests' : 'blobs';
    const res = await this.client.send({ method: 'DELETE', path: `/v2/${this.name}/${kind}/${desc.digest}`, scopes: [repositoryScope(this.name, ['delete'])] });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204) return this.client.fail(res, `DELETE ${desc.digest}`);
    await discardBody(res);
  }
}
