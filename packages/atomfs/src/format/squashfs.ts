import { open } from 'node:fs/promises';
import { NotSquashfsError } from '../errors';

/** The squashfs 4.0 superblock fields atomfs uses (all little-endian on disk). */
export interface SquashfsSuperblock {
  inodes: number;
  mkfsTime: number;
  /** Data block size in bytes (128 KiB by default). */
  blockSize: number;
  fragments: number;
  /** Compressor id: 1 gzip, 2 lzma, 3 lzo, 4 xz, 5 lz4, 6 zstd. */
  compression: number;
  /** Compressor name for {@link compression}. */
  compressionName: string;
  flags: number;
  idCount: number;
  /** Bytes of the filesystem proper; verity data (if any) starts at this rounded up to 4096. */
  bytesUsed: number;
}

export const SQUASHFS_MAGIC = 0x73717368; // "hsqs"
export const SQUASHFS_SUPERBLOCK_SIZE = 96;
/** The verity area is page-aligned after the image (mksquashfs pads to 4 KiB). */
export const VERITY_ALIGN = 4096;

const COMPRESSORS: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };

/**
 * Parses a squashfs superblock from the first 96 bytes of an image.
 *
 * @example
 * import { parseSquashfsSuperblock } from '@mos/atomfs';
 * const sb = parseSquashfsSuperblock(first96Bytes); // sb.bytesUsed, sb.compressionName
 */
export function parseSquashfsSuperblock(buf: Buffer, file = '<buffer>'): SquashfsSuperblock {
  if (buf.length < SQUASHFS_SUPERBLOCK_SIZE || buf.readUInt32LE(0) !== SQUASHFS_MAGIC) {
    throw new NotSquashfsError(`${file}: not a squashfs image (bad magic)`, { file });
  }
  const blockSize = buf.readUInt32LE(12);
  const compression = buf.readUInt16LE(20);
  const blockLog = buf.readUInt16LE(22);
  const major = buf.readUInt16LE(28);
  const minor = buf.readUInt16LE(30);
  if (major !== 4 || minor !== 0) {
    throw new NotSquashfsError(`${file}: squashfs version ${major}.${minor} is not 4.0`, { file, major, minor });
  }
  // block_size and block_log are redundant; a mismatch means a corrupt or hostile header.
  if (blockLog > 20 || blockLog < 12 || blockSize !== 2 ** blockLog) {
    throw new NotSquashfsError(`${file}: inconsistent block size ${blockSize} / log ${blockLog}`, { file });
  }
  const bytesUsed = buf.readBigUInt64LE(40);
  if (bytesUsed > BigInt(Number.MAX_SAFE_INTEGER) || bytesUsed < BigInt(SQUASHFS_SUPERBLOCK_SIZE)) {
    throw new NotSquashfsError(`${file}: implausible bytes_used ${bytesUsed}`, { file });
  }
  return {
    inodes: buf.readUInt32LE(4),
    mkfsTime: buf.readUInt32LE(8),
    blockSize,
    fragments: buf.readUInt32LE(16),
    compression,
    compressionName: COMPRESSORS[compression] ?? `unknown(${compression})`,
    flags: buf.readUInt16LE(24),
    idCount: buf.readUInt16LE(26),
    bytesUsed: Number(bytesUsed),
  };
}

/** Reads and parses the superblock of the squashfs image in `file`. */
export async function readSquashfsSuperblock(file: string): Promise<SquashfsSuperblock> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SQUASHFS_SUPERBLOCK_SIZE);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return parseSquashfsSuperblock(buf.subarray(0, bytesRead), file);
  } finally {
    await fh.close();
  }
}

/** `x` rounded up to a multiple of `align`. */
export function roundUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}
