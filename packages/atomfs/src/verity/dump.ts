import { open } from 'node:fs/promises';
import { BadArgumentError, VerityMissingError, VerityTruncatedError } from '../errors';
import { VERITY_SUPERBLOCK_SIZE, decodeVeritySuperblock } from '../format/verity-superblock';
import { verityGeometry } from './geometry';
import { locateVerity } from './locate';

/** The verity header of a file, as `veritysetup dump` shows it, plus where the tree lies. */
export interface VerityDump {
  uuid: string;
  hashType: number;
  algorithm: string;
  dataBlocks: number;
  dataBlockSize: number;
  hashBlockSize: number;
  salt: string;
  hashOffset: number;
  levels: number;
  hashBlocks: number;
  /** Offset just past the hash tree. */
  end: number;
}

/**
 * Reads the verity superblock of `file` (after the squashfs image unless `hashOffset` is given).
 *
 * @example
 * import { dumpVerity } from '@mos/atomfs';
 * const d = await dumpVerity('layer.squashfs'); // d.uuid, d.salt, d.dataBlocks
 */
export async function dumpVerity(file: string, opts: { hashOffset?: number } = {}): Promise<VerityDump> {
  let hashOffset = opts.hashOffset;
  if (hashOffset === undefined) {
    const loc = await locateVerity(file);
    if (!loc.squashfs) throw new BadArgumentError(`${file}: not squashfs; pass the hash offset`, { file });
    if (!loc.hasVerityData) throw new VerityMissingError(`${file}: no verity data after the squashfs image`, { file });
    hashOffset = loc.hashOffset;
  }
  const fh = await open(file, 'r');
  const buf = Buffer.alloc(VERITY_SUPERBLOCK_SIZE);
  try {
    const { bytesRead } = await fh.read(buf, 0, buf.length, hashOffset);
    if (bytesRead < buf.length) throw new VerityTruncatedError(`${file}: no verity superblock at ${hashOffset}`, { file, hashOffset });
  } finally {
    await fh.close();
  }
  const sb = decodeVeritySuperblock(buf, `${file}@${hashOffset}`);
  const geo = verityGeometry({ dataBlocks: sb.dataBlocks, hashOffset, dataBlockSize: sb.dataBlockSize, hashBlockSize: sb.hashBlockSize });
  return {
    uuid: sb.uuid,
    hashType: sb.hashType,
    algorithm: sb.algorithm,
    dataBlocks: sb.dataBlocks,
    dataBlockSize: sb.dataBlockSize,
    hashBlockSize: sb.hashBlockSize,
    salt: sb.salt.toString('hex'),
    hashOffset,
    levels: geo.levels,
    hashBlocks: geo.levelBlocks.reduce((a, b) => a + b, 0),
    end: geo.end,
  };
}
