import { isGraphType, isIndexType } from '../format/media-types';
import { parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor } from '../format/types';
import type { ReferrersOptions } from '../store/interfaces';
import type { LayoutStore } from './layout-store';

/**
 * The referrers of `subjectDigest` in a layout, as zot computes them: every manifest reachable
 * from `index.json` through indexes (so also the entries of a `sha256-<hex>` fallback index)
 * whose `subject.digest` matches. Each result carries `artifactType` (the manifest's, else its
 * config's media type) and the manifest's annotations. Missing or corrupt blobs are skipped.
 */
export async function findReferrers(store: LayoutStore, subjectDigest: string, opts: ReferrersOptions): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  const visit = async (desc: Descriptor, depth: number): Promise<void> => {
    if (seen.has(desc.digest) || !isGraphType(desc.mediaType) || depth > 8) return;
    seen.add(desc.digest);
    let parsed;
    try {
      parsed = parseGraphBlob(await store.fetchBytes(desc), desc.mediaType);
    } catch {
      return; // fsck reports these; a query must not fail on one bad entry
    }
    if (!parsed) return;
    const v = parsed.value;
    if (v.subject?.digest === subjectDigest) {
      const artifactType = v.artifactType ?? (parsed.kind === 'manifest' ? parsed.value.config.mediaType : undefined);
      if (!opts.artifactType || opts.artifactType === artifactType) {
        out.push({
          mediaType: desc.mediaType,
          digest: desc.digest,
          size: desc.size,
          ...(artifactType ? { artifactType } : {}),
          ...(v.annotations && Object.keys(v.annotations).length ? { annotations: v.annotations } : {}),
        });
      }
    }
    if (parsed.kind === 'index' && isIndexType(desc.mediaType)) {
      for (const child of parsed.value.manifests) await visit(child, depth + 1);
    }
  };
  for (const entry of (await store.index()).manifests) await visit(entry, 0);
  return out;
}
