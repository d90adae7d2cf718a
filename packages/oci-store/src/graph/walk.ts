import { isGraphType } from '../format/media-types';
import { childrenOf, parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import { JSON_CAP, readAll } from '../lib/read-all';
import type { BlobFetcher } from '../store/interfaces';

/** Return this from a visitor to not descend below a node. */
export const SKIP = Symbol('skip');

/** Called once per distinct digest, parents before children. */
export type Visitor = (desc: Descriptor, parent: Descriptor | undefined) => Promise<void | typeof SKIP> | void | typeof SKIP;

/** Reads a manifest or index blob (verified, capped) and returns its children; [] for leaves. */
export async function successors(store: BlobFetcher, desc: Descriptor): Promise<Descriptor[]> {
  if (!isGraphType(desc.mediaType)) return [];
  const bytes = await readAll(await store.fetch(desc), JSON_CAP, desc.digest);
  return childrenOf(parseGraphBlob(bytes, desc.mediaType));
}

/**
 * Walks the graph below `roots` depth-first, visiting each digest once: manifest → config,
 * layers, subject; index → manifests, subject (umoci `casext.Walk`, written once for every
 * store). A visitor returning {@link SKIP} prunes that subtree. Read errors propagate.
 *
 * @example
 * import { walk, SKIP } from '@mos/oci-store';
 * await walk(store, [manifest], (d) => { console.log(d.digest); });
 */
export async function walk(store: BlobFetcher, roots: Descriptor[], visit: Visitor): Promise<void> {
  const seen = new Set<string>();
  const go = async (d: Descriptor, parent: Descriptor | undefined): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if ((await visit(d, parent)) === SKIP) return;
    for (const c of await successors(store, d)) await go(c, d);
  };
  for (const r of roots) await go(r, undefined);
}
