import { open } from 'node:fs/promises';
import { BadVeritySuperblockError } from '../errors';
import { VERITY_SUPERBLOCK_SIZE, decodeVeritySuperblock } from '../format/verity-superblock';
import { parseRootHash } from './verify';

/**
 * What the kernel does when a block does not match its hash (dm-verity table option):
 * `eio` (the kernel default: the read fails, nothing corrupt is ever returned), `restart`
 * (`restart_on_corruption`: the machine reboots, as Bottlerocket does) or `panic`
 * (`panic_on_corruption`).
 */
export type CorruptionMode = 'eio' | 'restart' | 'panic';

/** One dm-verity target over a squashfs image with its verity data appended (same device). */
export interface VerityTable {
  /** The mapped device's length in 512-byte sectors (the data area only). */
  sectors: number;
  /** `dmsetup create --table` text: `0 <sectors> verity 1 <dev> <dev> …`. */
  table: string;
  dataBlocks: number;
  hashStartBlock: number;
  salt: string;
}

/**
 * Builds the dm-verity table for `device` (a loop device over `file`, or the file's block
 * device) from the verity superblock found at `hashOffset` in `file`. The salt and block sizes
 * come from that superblock, which lives on attacker-writable disk: that is safe because the
 * root hash (from the signed chain) commits to them -- a changed salt, size or tree only makes
 * every read fail. The data area must end exactly at the superblock, so the mapped device
 * shows the squashfs image and nothing else.
 *
 * @example
 * import { verityTable } from '@mos/atomfs';
 * const t = await verityTable({ file: blob, device: '/dev/loop3', hashOffset, rootHash });
 * // dmsetup create NAME --readonly --table "<t.table>"
 */
export async function verityTable(opts: { file: string; device: string; hashOffset: number; rootHash: string; onCorruption?: CorruptionMode }): Promise<VerityTable> {
  const root = parseRootHash(opts.rootHash);
  const fh = await open(opts.file, 'r');
  let sb;
  try {
    const b = Buffer.alloc(VERITY_SUPERBLOCK_SIZE);
    const { bytesRead } = await fh.read(b, 0, b.length, opts.hashOffset);
    sb = decodeVeritySuperblock(b.subarray(0, bytesRead), `${opts.file} at ${opts.hashOffset}`);
  } finally {
    await fh.close();
  }
  const where = { file: opts.file, hashOffset: opts.hashOffset };
  if (sb.dataBlockSize * sb.dataBlocks !== opts.hashOffset) {
    throw new BadVeritySuperblockError(
      `${opts.file}: the verity superblock covers ${sb.dataBlocks} blocks of ${sb.dataBlockSize} bytes, but the image ends at ${opts.hashOffset}`,
      { ...where, dataBlocks: sb.dataBlocks, dataBlockSize: sb.dataBlockSize },
    );
  }
  if (opts.hashOffset % sb.hashBlockSize !== 0) {
    throw new BadVeritySuperblockError(`${opts.file}: hash offset ${opts.hashOffset} is not a multiple of the hash block size ${sb.hashBlockSize}`, where);
  }
  // The superblock takes the first hash block; the tree starts right after it.
  const hashStartBlock = opts.hashOffset / sb.hashBlockSize + 1;
  const sectors = opts.hashOffset / 512;
  const salt = sb.salt.length ? sb.salt.toString('hex') : '-';
  const mode = opts.onCorruption ?? 'eio';
  const extra = mode === 'eio' ? '' : ` 1 ${mode}_on_corruption`;
  const table =
    `0 ${sectors} verity 1 ${opts.device} ${opts.device} ${sb.dataBlockSize} ${sb.hashBlockSize} ` +
    `${sb.dataBlocks} ${hashStartBlock} ${sb.algorithm} ${root.toString('hex')} ${salt}${extra}`;
  return { sectors, table, dataBlocks: sb.dataBlocks, hashStartBlock, salt };
}
