import type { Readable } from 'node:stream';
import { openRemote, parseManifest, parseReference, type Descriptor, type RegistryReference, type RemoteAccessOptions, type RemoteRepository } from '@mos/oci-store';
import { sha256hex } from '../lib/hash';
import { BringupError } from '../errors';

/** Artifact types of a published install manifest and its two referrers (mos-original §2.9). */
export const ArtifactType = {
  install: 'application/vnd.machine.install',
  certificate: 'application/vnd.machine.pubkeycrt',
  signature: 'application/vnd.machine.signature',
} as const;

const CAP = { install: 1 << 20, certificate: 256 << 10, signature: 64 << 10 };

/** A signed install manifest as found in a registry, not yet verified. */
export interface FetchedInstall {
  reference: RegistryReference;
  /** The install artifact manifest. */
  artifact: Descriptor;
  /** install.json, byte for byte, and its sha256. */
  json: Buffer;
  sha256: string;
  /** Every certificate and signature referrer, in the registry's order (usually one each). */
  certificates: Buffer[];
  signatures: Buffer[];
}

/**
 * Fetches a published install manifest: the artifact (exactly one layer: install.json) at
 * `url` (`docker://HOST/NAME:TAG`, the original's bare `HOST:PORT/NAME:TAG`, or `@digest`) and
 * the blobs of its certificate and signature referrers (referrers API, or the `sha256-<hex>`
 * tag fallback). Nothing is written anywhere; nothing is trusted yet.
 *
 * @example
 * import { fetchInstall } from '@mos/bringup';
 * const f = await fetchInstall('127.0.0.1:5000/machine/install:1.0', { insecure: true });
 */
export async function fetchInstall(url: string, opts: RemoteAccessOptions = {}): Promise<FetchedInstall> {
  const ref = parseReference(url);
  if (ref.transport !== 'docker') throw new BringupError('ERR_BRINGUP_NOT_AN_INSTALL', `${url}: an install manifest comes from a registry (HOST/NAME:TAG)`);
  const repo = openRemote(ref, opts);
  const { desc, bytes } = await repo.fetchManifest(ref.digest ?? ref.tag ?? 'latest');
  const artifact = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  let layers: Descriptor[];
  try {
    layers = parseManifest(bytes, desc.mediaType).layers;
  } catch (e) {
    throw new BringupError('ERR_BRINGUP_NOT_AN_INSTALL', `${url} is not an install manifest artifact: ${(e as Error).message}`, { cause: e });
  }
  if (layers.length !== 1) {
    throw new BringupError('ERR_BRINGUP_NOT_AN_INSTALL', `${url} is not an install manifest artifact: it has ${layers.length} layers, not exactly one (install.json)`);
  }
  const json = await fetchSmall(repo, layers[0], CAP.install, 'install.json');
  const [certificates, signatures] = await Promise.all([
    referrerBlobs(repo, artifact, ArtifactType.certificate, CAP.certificate),
    referrerBlobs(repo, artifact, ArtifactType.signature, CAP.signature),
  ]);
  if (!certificates.length || !signatures.length) {
    const missing = !certificates.length ? 'certificate' : 'signature';
    throw new BringupError('ERR_BRINGUP_NO_SIGNATURE', `${url} has no ${missing} referrer (artifactType ${ArtifactType[missing === 'certificate' ? 'certificate' : 'signature']}): it was not published signed`);
  }
  return { reference: ref, artifact, json, sha256: sha256hex(json), certificates, signatures };
}

/** The first-layer blob of every referrer of `subject` with `artifactType`. */
async function referrerBlobs(repo: RemoteRepository, subject: Descriptor, artifactType: string, cap: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const r of await repo.referrers(subject, { artifactType })) {
    const { desc, bytes } = await repo.fetchManifest(r.digest);
    const layer = parseManifest(bytes, desc.mediaType).layers[0];
    if (layer) out.push(await fetchSmall(repo, layer, cap, artifactType));
  }
  return out;
}

/** A small blob, read whole after its size was checked against `cap` (the stream verifies it). */
async function fetchSmall(repo: RemoteRepository, desc: Descriptor, cap: number, what: string): Promise<Buffer> {
  if (desc.size > cap) throw new BringupError('ERR_BRINGUP_TOO_LARGE', `${what} is ${desc.size} bytes; at most ${cap} are accepted`);
  const chunks: Buffer[] = [];
  for await (const c of (await repo.fetch(desc)) as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
