import { DIGEST_SIZE, type VerityGeometry } from './geometry';
import { hashBlocksInto } from './strided-reader';

/** A computed verity tree: the on-disk image of each level (level 0 first) and the root hash. */
export interface VerityTree {
  /** `levels[i]` is exactly the bytes of level i on disk (`levelBlocks[i]` hash blocks). */
  levels: Buffer[];
  root: Buffer;
}

/**
 * Packs `slots` (32-byte digests) into zero-filled hash blocks of `perBlock` slots each: the
 * on-disk image of one level.
 */
export function packLevel(slots: Buffer, geo: VerityGeometry, blocks: number): Buffer {
  const img = Buffer.alloc(blocks * geo.hashBlockSize);
  const n = slots.length / DIGEST_SIZE;
  for (let b = 0; b * geo.perBlock < n; b++) {
    const from = b * geo.perBlock * DIGEST_SIZE;
    const to = Math.min(n, (b + 1) * geo.perBlock) * DIGEST_SIZE;
    slots.copy(img, b * geo.hashBlockSize, from, to);
  }
  return img;
}

/**
 * Builds every level above the data from the data-block digests (level-0 slots). The upper
 * levels are 1/128 of the level below, so they are hashed here in one thread.
 */
export function buildTree(dataDigests: Buffer, geo: VerityGeometry, salt: Buffer): VerityTree {
  if (geo.levels === 0) return { levels: [], root: Buffer.from(dataDigests.subarray(0, DIGEST_SIZE)) };
  const levels: Buffer[] = [];
  let slots = dataDigests;
  for (let i = 0; i < geo.levels; i++) {
    const img = packLevel(slots, geo, geo.levelBlocks[i]);
    levels.push(img);
    slots = Buffer.alloc(geo.levelBlocks[i] * DIGEST_SIZE);
    hashBlocksInto(img, geo.levelBlocks[i], geo.hashBlockSize, salt, slots, 0);
  }
  return { levels, root: slots.subarray(0, DIGEST_SIZE) };
}
