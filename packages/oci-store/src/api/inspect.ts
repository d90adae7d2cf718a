import { isManifestType } from '../format/media-types';
import { parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../format/types';
import { LayoutStore } from '../layout/layout-store';
import { JSON_CAP, readAll } from '../lib/read-all';
import type { RegistryClient } from '../client/registry-client';
import { formatReference, type ImageReference } from '../reference/parse-reference';
import { openRemote, resolveSource, toReference, type RemoteAccessOptions } from './endpoints';

/** What {@link inspect} reports about an image. */
export interface InspectResult {
  reference: string;
  descriptor: Descriptor;
  /** The exact manifest bytes (base64-free: print with `raw`). */
  raw: Buffer;
  manifest?: ImageManifest;
  index?: ImageIndex;
  /** The config of an image manifest (absent for artifacts with the empty config). */
  config?: ImageConfig;
  /** Referrers of the manifest (signatures, certificates). */
  referrers: Descriptor[];
}

/**
 * Resolves a reference (`oci:DIR:TAG` or `docker://…`) and reads its manifest, its config and
 * its referrers, all verified.
 *
 * @example
 * import { inspect } from '@mos/oci-store';
 * const r = await inspect('oci:/atomfs-store/mos:sha256:…');
 * console.log(r.manifest?.layers.length, r.config?.config?.Entrypoint);
 */
export async function inspect(ref: string | ImageReference, opts: RemoteAccessOptions = {}): Promise<InspectResult> {
  const r = toReference(ref);
  const clients = new Map<string, RegistryClient>();
  try {
    const store = r.transport === 'oci' ? await LayoutStore.open(r.dir) : openRemote(r, opts, clients);
    const descriptor = await resolveSource(r, store);
    const raw = store instanceof LayoutStore ? await store.fetchBytes(descriptor) : (await store.fetchManifest(descriptor.digest)).bytes;
    const parsed = parseGraphBlob(raw, descriptor.mediaType);
    const out: InspectResult = { reference: formatReference(r), descriptor, raw, referrers: await store.referrers(descriptor).catch(() => []) };
    if (parsed?.kind === 'manifest') {
      out.manifest = parsed.value;
      const cfg = parsed.value.config;
      if (isManifestType(descriptor.mediaType) && /config|container\.image/.test(cfg.mediaType)) {
        const bytes = store instanceof LayoutStore ? await store.fetchBytes(cfg) : await readAll(await store.fetch(cfg), JSON_CAP, 'config');
        out.config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
      }
    } else if (parsed?.kind === 'index') out.index = parsed.value;
    return out;
  } finally {
    for (const c of clients.values()) c.close();
  }
}
