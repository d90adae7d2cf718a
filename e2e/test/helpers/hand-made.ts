import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from './world';

// Registry uploads and manifests by hand, with plain HTTP requests and no mos code: what the
// original's tests do with regctl and skopeo, so mosctl is checked against inputs it did not make.

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(host: string, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha(bytes);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload put: ${put.status} ${await put.text()}`);
  return { digest, size: bytes.length };
}

async function putManifest(host: string, repo: string, ref: string, body: object, mediaType = 'application/vnd.oci.image.manifest.v1+json') {
  const bytes = Buffer.from(JSON.stringify(body));
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest put ${ref}: ${r.status} ${await r.text()}`);
  return { mediaType, digest: sha(bytes), size: bytes.length };
}

/** The digest and size of a fixture image in the zothub layout, as `manifest_shasum`/`manifest_size` read them. */
export function fixtureImage(w: World, tag: string): { digest: string; size: number } {
  const index = JSON.parse(readFileSync(join(w.zothub, 'index.json'), 'utf8'));
  const d = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  return { digest: d.digest, size: d.size };
}

/** `skopeo copy oci:zothub:<tag> docker://<registry>/mos:<hex>`. */
export function skopeoPush(w: World, tag: string): { digest: string; size: number } {
  const img = fixtureImage(w, tag);
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${w.zothub}:${tag}`, `docker://${w.registry.host}/mos:${img.digest.slice(7)}`]);
  return img;
}

/** `openssl dgst -sha256 -sign <project key>`. */
export function opensslSign(w: World, data: Buffer, keyset = 'e2e'): Buffer {
  const dir = w.dirs.make('mos-e2e-sign-');
  writeFileSync(join(dir, 'install.json'), data);
  execFileSync('openssl', ['dgst', '-sha256', '-sign', join(w.keysets, keyset, 'manifest', 'default', 'privkey.pem'), '-out', join(dir, 'sig'), join(dir, 'install.json')]);
  return readFileSync(join(dir, 'sig'));
}

/**
 * Pushes install.json as an artifact at `<repo>:<tag>` and the cert and signature as
 * referrers, listed in the `sha256-<hex>` tag fallback index (docker-registry has no referrers
 * API). Returns the URL to install from.
 */
export async function handPublish(w: World, opts: { json: Buffer; signature: Buffer; cert: Buffer; repo?: string; tag?: string }): Promise<string> {
  const host = w.registry.host;
  const repo = opts.repo ?? 'machine/install';
  const tag = opts.tag ?? 'hand';
  const empty = { mediaType: 'application/vnd.oci.empty.v1+json', ...(await putBlob(host, repo, Buffer.from('{}'))) };
  const layer = { mediaType: 'application/vnd.machine.install', ...(await putBlob(host, repo, opts.json)) };
  const base = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: empty };
  const subject = await putManifest(host, repo, tag, { ...base, artifactType: 'application/vnd.machine.install', layers: [layer] });
  const refs = [];
  for (const [type, bytes] of [
    ['application/vnd.machine.pubkeycrt', opts.cert],
    ['application/vnd.machine.signature', opts.signature],
  ] as const) {
    const l = { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...(await putBlob(host, repo, bytes)) };
    const body = { ...base, artifactType: type, layers: [l], subject };
    const bytesOf = Buffer.from(JSON.stringify(body));
    refs.push({ ...(await putManifest(host, repo, sha(bytesOf), body)), artifactType: type });
  }
  await putManifest(host, repo, `sha256-${subject.digest.slice(7)}`, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: refs }, 'application/vnd.oci.image.index.v1+json');
  return `${host}/${repo}:${tag}`;
}

/** The original's hand-written install.json (install.bats), hostfs only. */
export function handJson(
  w: World,
  over: { digest?: string; size?: number; version?: number; product?: string; name?: string; targets?: unknown[]; serial?: number; expires?: string } = {},
  tag = 'busybox-squashfs',
): Buffer {
  const img = fixtureImage(w, tag);
  const targets = over.targets ?? [
    {
      service_name: over.name ?? 'hostfs',
      version: '1.0.0',
      service_type: 'hostfs',
      network: { type: 'host' },
      nsgroup: '',
      digest: over.digest ?? img.digest,
      size: over.size ?? img.size,
    },
  ];
  const fresh = { ...(over.serial !== undefined ? { serial: over.serial } : {}), ...(over.expires !== undefined ? { expires: over.expires } : {}) };
  return Buffer.from(JSON.stringify({ version: over.version ?? 1, product: over.product ?? w.product, update_type: 'complete', targets, ...fresh }, null, 2) + '\n');
}
