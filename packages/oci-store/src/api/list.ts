import type { Descriptor } from '../format/types';
import { LayoutStore } from '../layout/layout-store';
import { tagOf } from '../layout/tags';
import type { RegistryClient } from '../client/registry-client';
import { formatReference, type ImageReference } from '../reference/parse-reference';
import { openRemote, toReference, type RemoteAccessOptions } from './endpoints';

/** One listed image: a layout's `index.json` entry, or a registry tag. */
export interface ListedImage {
  /** Absent for untagged layout entries. */
  tag?: string;
  /** Present for layout entries (a registry listing gives tags only). */
  descriptor?: Descriptor;
}

/**
 * Lists a layout's entries (`oci:DIR`, tagged and untagged, with descriptors) or a registry
 * repository's tags (`docker://HOST/NAME`; any tag in the reference is ignored).
 *
 * @example
 * import { list } from '@mos/oci-store';
 * for (const i of await list('oci:/atomfs-store/mos')) console.log(i.tag, i.descriptor?.digest);
 */
export async function list(ref: string | ImageReference, opts: RemoteAccessOptions = {}): Promise<{ reference: string; images: ListedImage[] }> {
  const r = toReference(ref);
  if (r.transport === 'oci') {
    const store = await LayoutStore.open(r.dir);
    const images = (await store.index()).manifests.map((d) => ({ ...(tagOf(d) !== undefined ? { tag: tagOf(d) } : {}), descriptor: d }));
    return { reference: formatReference({ transport: 'oci', dir: r.dir }), images };
  }
  const clients = new Map<string, RegistryClient>();
  try {
    const repo = openRemote(r, opts, clients);
    const tags = await repo.tags();
    return { reference: `docker://${r.registry}/${r.repository}`, images: tags.map((tag) => ({ tag })) };
  } finally {
    for (const c of clients.values()) c.close();
  }
}
