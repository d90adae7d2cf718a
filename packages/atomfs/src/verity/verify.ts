import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  BadArgumentError,
  BadVeritySuperblockError,
  DataBlockCorruptError,
  HashBlockCorruptError,
  RootHashMismatchError,
  VerityMissingError,
  VerityTruncatedError,
} from '../errors';
import { VERITY_SUPERBLOCK_SIZE, decodeVeritySuperblock, type VeritySuperblock } from '../format/verity-superblock';
import { DIGEST_SIZE, verityGeometry, type VerityGeometry } from './geometry';
import { hashDataBlocks, type HashOptions } from './hash-pool';
import { locateVerity } from './locate';

export interface VerifyOptions extends HashOptions {
  /** Offset of the verity superblock. Default: after the squashfs image (required for other files). */
  hashOffset?: number;
}

/** What a successful {@link verifyVerity} checked. */
export interface VerifyResult {
  rootHash: string;
  hashOffset: number;
  dataBlocks: number;
  hashBlocks: number;
  levels: number;
  superblock: VeritySuperblock;
}

/**
 * Checks every hash block (top down from the root hash) and then every data block of `file`,
 * as the kernel would on read, and throws on the first bad one: {@link RootHashMismatchError},
 * {@link HashBlockCorruptError} (`details.level`, `details.block`) or
 * {@link DataBlockCorruptError} (`details.block`). Block sizes and salt come from the superblock.
 *
 * @example
 * import { verifyVerity } from '@mos/atomfs';
 * await verifyVerity('layer.squashfs', rootHash); // throws AtomfsError on corruption
 */
export async function verifyVerity(file: string, rootHash: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const root = parseRootHash(rootHash);
  const hashOffset = opts.hashOffset ?? (await defaultHashOffset(file));
  const fh = await open(file, 'r');
  let geo: VerityGeometry;
  let sb: VeritySuperblock;
  let tree: Buffer;
  try {
    sb = decodeVeritySuperblock(await readExactly(fh, file, hashOffset, VERITY_SUPERBLOCK_SIZE), `${file}@${hashOffset}`);
    if (sb.dataBlocks * sb.dataBlockSize > hashOffset) {
      throw new BadVeritySuperblockError(`${file}: ${sb.dataBlocks} data blocks overlap the hash area at ${hashOffset}`, { file });
    }
    geo = verityGeometry({ dataBlocks: sb.dataBlocks, hashOffset, dataBlockSize: sb.dataBlockSize, hashBlockSize: sb.hashBlockSize });
    tree = await readExactly(fh, file, geo.treeOffset, geo.end - geo.treeOffset);
  } finally {
    await fh.close();
  }
  checkTree(file, tree, geo, sb.salt, root);
  const digests = await hashDataBlocks(file, geo.dataBlocks, geo.dataBlockSize, sb.salt, opts);
  checkData(file, digests, tree, geo, root);
  const hashBlocks = geo.levelBlocks.reduce((a, b) => a + b, 0);
  return { rootHash: root.toString('hex'), hashOffset, dataBlocks: geo.dataBlocks, hashBlocks, levels: geo.levels, superblock: sb };
}

/** Lower-case 64-hex root hash → bytes; anything else is a {@link BadArgumentError}. */
export function parseRootHash(rootHash: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(rootHash)) throw new BadArgumentError(`root hash must be 64 hex characters: ${JSON.stringify(rootHash)}`, { rootHash });
  return Buffer.from(rootHash, 'hex');
}

async function defaultHashOffset(file: string): Promise<number> {
  const loc = await locateVerity(file);
  if (!loc.squashfs) throw new BadArgumentError(`${file}: not squashfs; pass the hash offset`, { file });
  if (!loc.hasVerityData) throw new VerityMissingError(`${file}: no verity data after the squashfs image`, { file });
  return loc.hashOffset;
}

async function readExactly(fh: FileHandle, file: string, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new VerityTruncatedError(`${file}: ends at ${pos + got}, the verity area needs ${pos + len}`, { file, end: pos + len });
    got += bytesRead;
  }
  return buf;
}

const h = (salt: Buffer, block: Buffer) => createHash('sha256').update(salt).update(block).digest();

/** Top-down, as dm-verity does: each hash block must match its slot one level up. */
function checkTree(file: string, tree: Buffer, geo: VerityGeometry, salt: Buffer, root: Buffer): void {
  if (geo.levels === 0) return; // the single data block is checked against the root directly
  const hbs = geo.hashBlockSize;
  const block = (level: number, i: number) => {
    const off = geo.levelOffset[level] - geo.treeOffset + i * hbs;
    return tree.subarray(off, off + hbs);
  };
  const top = geo.levels - 1;
  if (!h(salt, block(top, 0)).equals(root)) {
    throw new RootHashMismatchError(`${file}: the hash tree does not match the root hash (wrong root hash, or the top hash block is corrupt)`, {
      file,
      offset: geo.levelOffset[top],
    });
  }
  for (let level = top - 1; level >= 0; level--) {
    for (let i = 0; i < geo.levelBlocks[level]; i++) {
      const parent = block(level + 1, Math.floor(i / geo.perBlock));
      const slot = (i % geo.perBlock) * DIGEST_SIZE;
      if (!h(salt, block(level, i)).equals(parent.subarray(slot, slot + DIGEST_SIZE))) {
        const offset = geo.levelOffset[level] + i * hbs;
        throw new HashBlockCorruptError(`${file}: hash block ${i} of level ${level} (offset ${offset}) is corrupt`, { file, level, block: i, offset });
      }
    }
  }
}

function checkData(file: string, digests: Buffer, tree: Buffer, geo: VerityGeometry, root: Buffer): void {
  if (geo.levels === 0) {
    if (!digests.subarray(0, DIGEST_SIZE).equals(root)) {
      throw new RootHashMismatchError(`${file}: data block 0 does not match the root hash`, { file, block: 0, offset: 0 });
    }
    return;
  }
  const level0 = geo.levelOffset[0] - geo.treeOffset;
  for (let j = 0; j < geo.dataBlocks; j++) {
    const slot = level0 + Math.floor(j / geo.perBlock) * geo.hashBlockSize + (j % geo.perBlock) * DIGEST_SIZE;
    if (digests.compare(tree, slot, slot + DIGEST_SIZE, j * DIGEST_SIZE, (j + 1) * DIGEST_SIZE) !== 0) {
      const offset = j * geo.dataBlockSize;
      throw new DataBlockCorruptError(`${file}: data block ${j} (offset ${offset}) is corrupt`, { file, block: j, offset });
    }
  }
}
