import { VERITY_SUPERBLOCK_SIZE } from '../format/verity-superblock';

/** SHA-256 digest size; hash type 1 stores each digest in a slot rounded up to a power of two (also 32). */
export const DIGEST_SIZE = 32;

/** Where every level of a verity tree lives, computed as veritysetup does (format 1). */
export interface VerityGeometry {
  dataBlocks: number;
  dataBlockSize: number;
  hashBlockSize: number;
  /** Digest slots per hash block: the largest power of two ≤ hashBlockSize / 32. */
  perBlock: number;
  /** Number of hash levels; 0 when there is a single data block (root = H(block 0)). */
  levels: number;
  /** Hash blocks in level i (0 = the level hashing data blocks). */
  levelBlocks: number[];
  /** Absolute file offset of level i. Levels are stored top first, right after the superblock block. */
  levelOffset: number[];
  /** Absolute offset of the superblock (the hash offset). */
  hashOffset: number;
  /** Absolute offset where the tree starts. */
  treeOffset: number;
  /** Absolute offset just past the last hash block. */
  end: number;
}

/**
 * The verity tree layout for `dataBlocks` blocks with the superblock at `hashOffset`.
 * Byte-for-byte what `veritysetup format` produces; see formats.md §4.4.
 */
export function verityGeometry(o: { dataBlocks: number; hashOffset: number; dataBlockSize?: number; hashBlockSize?: number }): VerityGeometry {
  const dataBlockSize = o.dataBlockSize ?? 4096;
  const hashBlockSize = o.hashBlockSize ?? 4096;
  const perBlock = 2 ** Math.floor(Math.log2(hashBlockSize / DIGEST_SIZE));
  const levelBlocks: number[] = [];
  let n = o.dataBlocks;
  // A level is needed while more than one hash is left to combine.
  while (n > 1) {
    n = Math.ceil(n / perBlock);
    levelBlocks.push(n);
  }
  const levels = levelBlocks.length;
  // The superblock takes the start of the hash area; the tree starts at the next hash block.
  const treeOffset = Math.ceil((o.hashOffset + VERITY_SUPERBLOCK_SIZE) / hashBlockSize) * hashBlockSize;
  const levelOffset = new Array<number>(levels);
  let at = treeOffset;
  for (let i = levels - 1; i >= 0; i--) {
    levelOffset[i] = at;
    at += levelBlocks[i] * hashBlockSize;
  }
  return { dataBlocks: o.dataBlocks, dataBlockSize, hashBlockSize, perBlock, levels, levelBlocks, levelOffset, hashOffset: o.hashOffset, treeOffset, end: at };
}
