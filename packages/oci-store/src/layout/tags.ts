import { AmbiguousTagError, TagNotFoundError } from '../errors';
import { Annotation } from '../format/media-types';
import type { Descriptor, ImageIndex } from '../format/types';
import { cleanDescriptor } from '../lib/assert';

/** The tag (`org.opencontainers.image.ref.name`) of an index entry, if any. */
export function tagOf(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.RefName];
}

/** Every entry whose ref.name is exactly `tag`. */
export function entriesTagged(index: ImageIndex, tag: string): Descriptor[] {
  return index.manifests.filter((d) => tagOf(d) === tag);
}

/**
 * The one descriptor `tag` names. Several entries with the same digest count as one; several
 * digests are ambiguous.
 */
export function resolveTag(index: ImageIndex, tag: string, where: string): Descriptor {
  const hits = entriesTagged(index, tag);
  if (hits.length === 0) throw new TagNotFoundError(`tag "${tag}" not found in ${where}`, { tag, where });
  const digests = new Set(hits.map((d) => d.digest));
  if (digests.size > 1) {
    throw new AmbiguousTagError(`tag "${tag}" names ${digests.size} different descriptors in ${where}`, { tag, where, digests: [...digests] });
  }
  return hits[0];
}

function sameEntry(a: Descriptor, b: Descriptor): boolean {
  return JSON.stringify(cleanDescriptor(a)) === JSON.stringify(cleanDescriptor(b));
}

/**
 * Points `tag` at `desc`, zot-style: entries carrying the tag are removed, an untagged entry
 * for the same digest is folded into the new one, and the tagged descriptor is appended.
 * Returns null when nothing changes.
 */
export function withTag(index: ImageIndex, desc: Descriptor, tag: string): ImageIndex | null {
  const entry = cleanDescriptor({ ...desc, annotations: { ...(desc.annotations ?? {}), [Annotation.RefName]: tag } });
  const current = entriesTagged(index, tag);
  if (current.length === 1 && sameEntry(current[0], entry)) return null;
  const manifests = index.manifests.filter((d) => tagOf(d) !== tag && !(tagOf(d) === undefined && d.digest === desc.digest));
  manifests.push(entry);
  return { ...index, manifests };
}

/** Adds an untagged entry for `desc` unless some entry already has its digest; null if unchanged. */
export function withUntagged(index: ImageIndex, desc: Descriptor): ImageIndex | null {
  if (index.manifests.some((d) => d.digest === desc.digest)) return null;
  const entry = cleanDescriptor(desc);
  if (entry.annotations) {
    const { [Annotation.RefName]: _drop, ...rest } = entry.annotations;
    entry.annotations = Object.keys(rest).length ? rest : undefined;
    if (!entry.annotations) delete entry.annotations;
  }
  return { ...index, manifests: [...index.manifests, entry] };
}

/** Removes every entry carrying `tag`; null if none did. */
export function withoutTag(index: ImageIndex, tag: string): ImageIndex | null {
  const manifests = index.manifests.filter((d) => tagOf(d) !== tag);
  return manifests.length === index.manifests.length ? null : { ...index, manifests };
}

/** Removes every entry with `digest` (tagged or not); null if none had it. */
export function withoutDigest(index: ImageIndex, digest: string): ImageIndex | null {
  const manifests = index.manifests.filter((d) => d.digest !== digest);
  return manifests.length === index.manifests.length ? null : { ...index, manifests };
}

/** Every tag in the index, sorted, without duplicates. */
export function tagsOf(index: ImageIndex): string[] {
  return [...new Set(index.manifests.map(tagOf).filter((t): t is string => t !== undefined))].sort();
}
