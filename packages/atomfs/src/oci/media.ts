import type { Descriptor } from '@mos/oci-store';
import { BadImageError } from '../errors';

/** What atomfs writes: the old stacker name, which mos's vendored atomfs needs (formats.md §4.1). */
export const SQUASHFS_VERITY_MEDIA_TYPE = 'application/vnd.stacker.image.layer.squashfs+zstd+verity';
/** The same with gzip, when mksquashfs lacks zstd. */
export const SQUASHFS_GZIP_VERITY_MEDIA_TYPE = 'application/vnd.stacker.image.layer.squashfs+gzip+verity';
/** Old (stacker ≤ 1.0, what mos reads) and new (atomfs ≥ 1.2) root-hash annotation keys. */
export const ROOT_HASH_ANNOTATION_OLD = 'io.stackeroci.stacker.squashfs_verity_root_hash';
export const ROOT_HASH_ANNOTATION_NEW = 'io.stackeroci.stacker.atomfs_verity_root_hash';

const SQUASHFS_PREFIX = 'application/vnd.stacker.image.layer.squashfs';

/** Both generations: `…squashfs+zstd+verity`, `…squashfs+zstd`, gzip variants and the bare base type. */
export function isSquashfsLayer(mediaType: string): boolean {
  return mediaType === SQUASHFS_PREFIX || mediaType.startsWith(`${SQUASHFS_PREFIX}+`);
}

/**
 * The root hash a layer descriptor pins: the new key, else the old one (atomfs ≥ 1.2 order).
 * Both present and different is a malformed image.
 */
export function rootHashOf(desc: Descriptor): string | undefined {
  const a = desc.annotations ?? {};
  const n = a[ROOT_HASH_ANNOTATION_NEW];
  const o = a[ROOT_HASH_ANNOTATION_OLD];
  if (n !== undefined && o !== undefined && n.toLowerCase() !== o.toLowerCase()) {
    throw new BadImageError(`layer ${desc.digest} has two different root-hash annotations`, { digest: desc.digest });
  }
  const v = n ?? o;
  if (v !== undefined && !/^[0-9a-fA-F]{64}$/.test(v)) {
    throw new BadImageError(`layer ${desc.digest} has a malformed root-hash annotation ${JSON.stringify(v)}`, { digest: desc.digest });
  }
  return v?.toLowerCase();
}
