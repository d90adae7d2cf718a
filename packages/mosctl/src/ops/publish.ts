import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertRegistryTag,
  assertRepoName,
  copy,
  EMPTY_JSON,
  LayoutStore,
  MediaType,
  openRemote,
  parseReference,
  resolveSource,
  sha256Digest,
  type Descriptor,
  type ProgressEvent,
  type RegistryReference,
  type RemoteAccessOptions,
} from '@mos/oci-store';
import { installFromImport, loadImportManifest, serializeInstallManifest, type ImportTarget, type InstallManifest } from '@mos/manifest';
import { projectInfo, signDetached } from '@mos/trust';
import { healthSpecOf } from '@mos/services';
import { ArtifactType, BOOTKIT_TAG, IMAGE_REPOSITORY } from '@mos/bringup';
import { MosctlError } from '../errors';
import { bootkitLayout } from './bootkit';

export interface PublishOptions extends RemoteAccessOptions {
  /** `keyset:project`: whose key signs. */
  project: string;
  /** `host[:port]` of the registry. */
  repo: string;
  /** `name:tag` the install manifest is published under. */
  name: string;
  /** The import manifest (`manifest.yaml`). */
  file: string;
  /** Do not auto-add hostfs and bootkit targets. Default false. */
  skipBootkit?: boolean;
  /** Keysets directory. Default: `$MOS_KEYSETS_DIR` or `~/.local/share/machine/trust/keys`. */
  keysetsDir?: string;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
  now?: Date;
  /** The signed release number; updates must grow it. Default: the publish time in seconds since the epoch. */
  serial?: number;
  /** Signed RFC 3339 time after which machines refuse the manifest. Default: never. */
  expires?: string;
}

export interface PublishResult {
  /** Where the install manifest is: `docker://repo/name:tag`. */
  reference: string;
  /** The install artifact manifest in the registry. */
  artifact: Descriptor;
  /** sha256 hex of install.json (its name in manifest.git). */
  sha256: string;
  install: InstallManifest;
  warnings: string[];
}

/**
 * `mosb manifest publish` (mos-original §4.1, with the intent fixes): resolves every target's
 * source, checks a pinned digest/size, copies each image to `<repo>/mos:<hex>`, builds and
 * validates install.json, signs it with the project key and pushes the install artifact plus
 * its certificate and signature referrers. Any registry error fails the whole command.
 *
 * @example
 * import { publish } from '@mos/mosctl';
 * await publish({ project: 'demo:default', repo: '127.0.0.1:5000', name: 'machine/install:1.0', file: 'manifest.yaml', skipBootkit: true });
 */
export async function publish(opts: PublishOptions): Promise<PublishResult> {
  const m = opts.project.match(/^([^:]+):([^:]+)$/);
  if (!m) throw new MosctlError('ERR_MOSCTL_INVALID', `invalid project name "${opts.project}": use keyset:project`);
  const [, keyset, project] = m;
  const n = opts.name.match(/^([^:@]+):([^:@]+)$/);
  if (!n) throw new MosctlError('ERR_MOSCTL_INVALID', `invalid name "${opts.name}": use name:tag, e.g. machine/install:1.0.0`);
  const [, name, tag] = n;
  assertRepoName(name);
  assertRegistryTag(tag);
  const registry = parseReference(`${opts.repo}/${name}:${tag}`) as RegistryReference;

  const { manifest: imp, warnings } = loadImportManifest(await readFile(opts.file), opts.file);
  const names = new Set(imp.targets.map((t) => t.service_name));
  const notes = warnings.map((w) => `${w.path}: ${w.message}`);
  if (!opts.skipBootkit) {
    // The original also adds a demo hostfs from its own registry; we have none to add.
    if (!names.has('hostfs')) {
      throw new MosctlError('ERR_MOSCTL_NEEDS_BOOTKIT', 'the manifest has no hostfs target: add a hostfs target (the image the machine boots), or pass --skip-bootkit');
    }
    if (!names.has('bootkit')) {
      const layout = bootkitLayout(keyset, opts.keysetsDir);
      if (existsSync(join(layout, 'index.json'))) imp.targets.push(bootkitTarget(layout));
      else notes.push(`no bootkit target added: keyset ${keyset} has no bootkit yet (run: mosb bootkit build --keyset ${keyset} --kernel DIR), or pass --skip-bootkit`);
    }
  }
  const projectDir = (await projectInfo({ keyset, project, dir: opts.keysetsDir })).dir;
  const key = await readFile(join(projectDir, 'privkey.pem'));
  const cert = await readFile(join(projectDir, 'cert.pem'));

  // Resolve every source first: a wrong pin fails before anything is pushed.
  const sources = await Promise.all(imp.targets.map(async (t) => resolveTarget(t.source, opts)));
  const install = installFromImport(imp, sources, freshness(opts));
  const json = serializeInstallManifest(install);
  // A health check the supervisor could not read would fail every trial of this release: refuse it before signing.
  for (const t of install.targets) if (t.health) healthSpecOf(json, t.service_name);
  const signature = signDetached({ data: json, key });

  for (const [i, t] of imp.targets.entries()) {
    const dst: RegistryReference = { ...registry, repository: IMAGE_REPOSITORY, tag: sources[i].digest.slice('sha256:'.length), digest: undefined };
    await copy(t.source, dst, { ...opts, onProgress: opts.onProgress && ((e) => opts.onProgress!({ ...e, target: t.service_name })) });
  }
  const artifact = await pushArtifact(registry, opts, json, cert, signature, tag, opts.now ?? new Date());
  return { reference: `docker://${opts.repo}/${name}:${tag}`, artifact, sha256: sha256Digest(json).slice('sha256:'.length), install, warnings: notes };
}

/** `serial` (default: now in seconds) and `expires`, checked: a bad value is a usage mistake, and an `expires` already past would publish a manifest every machine refuses. */
function freshness(opts: PublishOptions): { serial: number; expires?: string } {
  const now = opts.now ?? new Date();
  const serial = opts.serial ?? Math.floor(now.getTime() / 1000);
  if (!Number.isSafeInteger(serial) || serial < 0) {
    throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--serial ${opts.serial} must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (opts.expires === undefined) return { serial };
  const at = Date.parse(opts.expires);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(opts.expires) || Number.isNaN(at)) {
    throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--expires ${JSON.stringify(opts.expires)} must be an RFC 3339 time such as 2027-01-31T00:00:00Z`);
  }
  if (at <= now.getTime()) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--expires ${opts.expires} is not in the future: every machine would refuse this manifest`);
  return { serial, expires: opts.expires };
}

async function resolveTarget(source: string, opts: RemoteAccessOptions): Promise<{ digest: string; size: number }> {
  const ref = parseReference(source);
  const store = ref.transport === 'oci' ? await LayoutStore.open(ref.dir) : openRemote(ref, opts);
  const d = await resolveSource(ref, store);
  if (d.mediaType !== MediaType.ImageManifest) {
    throw new MosctlError('ERR_MOSCTL_INVALID', `source ${source} is ${d.mediaType}, not an OCI image manifest (name one platform's image)`);
  }
  return { digest: d.digest, size: d.size };
}

/** Pushes install.json as an artifact under `tag`, then the certificate and signature referrers. */
async function pushArtifact(ref: RegistryReference, opts: RemoteAccessOptions, json: Buffer, cert: Buffer, signature: Buffer, tag: string, now: Date): Promise<Descriptor> {
  const repo = openRemote(ref, opts);
  const created = { 'org.opencontainers.image.created': now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const empty: Descriptor = { mediaType: EMPTY_JSON.mediaType, digest: EMPTY_JSON.digest, size: EMPTY_JSON.size };
  await repo.push(empty, Buffer.from('{}'));
  const blob = async (bytes: Buffer, mediaType: string, title: string): Promise<Descriptor> => {
    const d = { mediaType, digest: sha256Digest(bytes), size: bytes.length, annotations: { 'org.opencontainers.image.title': title } };
    await repo.push(d, bytes);
    return d;
  };
  const manifest = async (body: object, pushTag?: string): Promise<Descriptor> => {
    const bytes = Buffer.from(JSON.stringify(body));
    const d = { mediaType: MediaType.ImageManifest, digest: sha256Digest(bytes), size: bytes.length };
    await repo.pushManifest(d, bytes, pushTag);
    return d;
  };
  const base = { schemaVersion: 2, mediaType: MediaType.ImageManifest };
  const layer = await blob(json, ArtifactType.install, 'index.json');
  const artifact = await manifest({ ...base, artifactType: ArtifactType.install, config: EMPTY_JSON, layers: [layer], annotations: created }, tag);
  const subject = { mediaType: artifact.mediaType, digest: artifact.digest, size: artifact.size };
  for (const [type, bytes, title] of [
    [ArtifactType.certificate, cert, 'cert.pem'],
    [ArtifactType.signature, signature, 'install.json.signed'],
  ] as const) {
    const l = await blob(bytes, 'application/vnd.oci.image.layer.v1.tar', title);
    await manifest({ ...base, artifactType: type, config: EMPTY_JSON, layers: [l], subject, annotations: created });
  }
  return artifact;
}

/** The bootkit target publish adds (mos-original §2.1): fs-only, from the keyset's bootkit layout. */
function bootkitTarget(layout: string): ImportTarget {
  return {
    service_name: 'bootkit',
    source: `oci:${layout}:${BOOTKIT_TAG}`,
    version: '1.0.0',
    service_type: 'fs-only',
    network: { type: 'host', ipv4: '', ipv6: '', ports: [] },
    nsgroup: '',
    storage: [],
    digest: '',
    size: 0,
  };
}
