import { open } from 'node:fs/promises';
import { NotSquashfsError, RootHashMissingError, VerityMissingError } from '../errors';
import { SQUASHFS_MAGIC, SQUASHFS_SUPERBLOCK_SIZE, VERITY_ALIGN, parseSquashfsSuperblock, roundUp, type SquashfsSuperblock } from '../format/squashfs';

/** Where a layer's verity data is (or would go). */
export interface VerityLocation {
  file: string;
  fileSize: number;
  /** The squashfs superblock, or null when the file is not squashfs (plain verity data files). */
  squashfs: SquashfsSuperblock | null;
  /** `roundup(bytes_used, 4096)` for squashfs; the file size otherwise. */
  hashOffset: number;
  /** Whether bytes follow the image (squashfs only). */
  hasVerityData: boolean;
}

/**
 * Finds the verity area of `file`: for squashfs it starts at `roundup(bytes_used, 4096)`
 * (formats.md §4.2). A squashfs image that ends before that offset was built with `-nopad` or
 * is truncated, and is refused.
 */
export async function locateVerity(file: string): Promise<VerityLocation> {
  const fh = await open(file, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(SQUASHFS_SUPERBLOCK_SIZE);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 4 || head.readUInt32LE(0) !== SQUASHFS_MAGIC) {
      return { file, fileSize, squashfs: null, hashOffset: fileSize, hasVerityData: false };
    }
    const squashfs = parseSquashfsSuperblock(head.subarray(0, bytesRead), file);
    const hashOffset = roundUp(squashfs.bytesUsed, VERITY_ALIGN);
    if (fileSize < hashOffset) {
      throw new NotSquashfsError(`${file}: ${fileSize} bytes, but the image needs ${hashOffset} (truncated, or built with -nopad)`, {
        file,
        fileSize,
        hashOffset,
      });
    }
    return { file, fileSize, squashfs, hashOffset, hasVerityData: fileSize > hashOffset };
  } finally {
    await fh.close();
  }
}

/**
 * The two distinct refusals of atomfs (formats.md §4.2): a root hash for a layer without verity
 * data, and verity data without a root hash. Callers that allow unverified layers skip the
 * second check themselves.
 */
export function checkVerityPresence(loc: VerityLocation, rootHash: string | undefined): void {
  if (!loc.squashfs) throw new NotSquashfsError(`${loc.file}: not a squashfs image`, { file: loc.file });
  if (rootHash && !loc.hasVerityData) {
    throw new VerityMissingError(`${loc.file}: a root hash was given but the layer has no verity data`, { file: loc.file });
  }
  if (!rootHash && loc.hasVerityData) {
    throw new RootHashMissingError(`${loc.file}: the layer has verity data but no root hash was given`, { file: loc.file });
  }
}
