import { readFileSync } from 'node:fs';
import { InvalidArgumentError, InvalidReferenceError } from '../errors';
import { isIndexType } from '../format/media-types';
import { parseIndex } from '../format/parse-manifest';
import type { Descriptor, Platform } from '../format/types';
import { LayoutStore } from '../layout/layout-store';
import { credentialResolver } from '../client/credentials';
import { RegistryClient, type ClientOptions } from '../client/registry-client';
import { RemoteRepository, type RemoteOptions } from '../client/remote-repository';
import { parseReference, type ImageReference, type RegistryReference } from '../reference/parse-reference';
import { AmbiguousTagError } from '../errors';

/** Connection options shared by every remote operation of the API and CLI. */
export interface RemoteAccessOptions extends RemoteOptions {
  /** `user:pass` for every registry (`--creds`). Default: environment, then docker config.json. */
  creds?: string;
  /** A PEM file of extra CA certificates (`--ca-file`). Default: system CAs only. */
  caFile?: string;
}

/** Builds the client options from the CLI-shaped ones (reads `caFile`, sets up credentials). */
export function clientOptions(opts: RemoteAccessOptions): ClientOptions {
  const out: ClientOptions = { ...opts };
  if (opts.caFile) out.ca = readFileSync(opts.caFile);
  out.credentials = opts.credentials ?? credentialResolver({ creds: opts.creds });
  return out;
}

/** Accepts a string or parsed reference. */
export function toReference(ref: string | ImageReference): ImageReference {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}

/** Opens the repository of a registry reference (one client per registry host within `clients`). */
export function openRemote(ref: RegistryReference, opts: RemoteAccessOptions, clients = new Map<string, RegistryClient>()): RemoteRepository {
  const co = clientOptions(opts);
  const key = `${ref.scheme ?? ''}|${ref.registry}`;
  let client = clients.get(key);
  if (!client) {
    client = new RegistryClient(ref.registry, { ...co, scheme: ref.scheme ?? co.scheme });
    clients.set(key, client);
  }
  return new RemoteRepository(client, ref.repository, { ...co, client });
}

/**
 * The root descriptor a source reference names: a layout tag (or the layout's only entry when
 * no tag is given) or a registry tag/digest; with `platform`, an index is narrowed to that
 * platform's manifest.
 */
export async function resolveSource(ref: ImageReference, store: LayoutStore | RemoteRepository, platform?: Pick<Platform, 'os' | 'architecture'>): Promise<Descriptor> {
  let root: Descriptor;
  if (store instanceof LayoutStore) {
    if (ref.transport !== 'oci') throw new InvalidReferenceError('layout store for a registry reference');
    if (ref.tag !== undefined) root = await store.resolve(ref.tag);
    else {
      const entries = (await store.index()).manifests;
      if (entries.length !== 1) throw new AmbiguousTagError(`oci:${ref.dir} has ${entries.length} images; name a tag`, { dir: ref.dir });
      root = entries[0];
    }
  } else {
    if (ref.transport !== 'docker') throw new InvalidReferenceError('registry store for a layout reference');
    root = ref.digest ? (await store.fetchManifest(ref.digest)).desc : await store.resolve(ref.tag ?? 'latest');
  }
  if (platform && isIndexType(root.mediaType)) {
    const bytes = store instanceof LayoutStore ? await store.fetchBytes(root) : (await store.fetchManifest(root.digest)).bytes;
    const pick = parseIndex(bytes, root.mediaType).manifests.filter((d) => d.platform?.os === platform.os && d.platform?.architecture === platform.architecture);
    if (pick.length !== 1) throw new InvalidArgumentError(`${pick.length} entries for platform ${platform.os}/${platform.architecture}`, { platform });
    root = pick[0];
  }
  return { mediaType: root.mediaType, digest: root.digest, size: root.size };
}
