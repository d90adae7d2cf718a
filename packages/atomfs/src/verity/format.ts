import { randomBytes, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { BadArgumentError, VerityPresentError } from '../errors';
import { encodeVeritySuperblock } from '../format/verity-superblock';
import { locateVerity } from './locate';
import { verityGeometry } from './geometry';
import { hashDataBlocks, type HashOptions } from './hash-pool';
import { buildTree } from './tree';

const BLOCK = 4096;
const SALT_SIZE = 32;

export interface FormatOptions extends HashOptions {
  /**
   * Where the superblock and tree go; everything before it is data. Default: the squashfs
   * image size rounded up to 4096 (which must be the file size), or the file size for other files.
   * Must be a multiple of 4096.
   */
  hashOffset?: number;
  /** Salt as 64 hex characters (32 bytes). Default: 32 random bytes, as atomfs does. */
  salt?: string;
  /** UUID written into the superblock. Default: a random UUID. */
  uuid?: string;
}

/** What {@link formatVerity} wrote. */
export interface FormatResult {
  /** The root hash, lower-case hex: what the image manifest pins. */
  rootHash: string;
  salt: string;
  uuid: string;
  hashOffset: number;
  dataBlocks: number;
  /** File size after formatting (end of the hash tree). */
  size: number;
}

/**
 * Appends a dm-verity superblock and hash tree (format 1, sha256, 4096/4096) to `file` and
 * returns the root hash. Given the same salt and uuid the bytes are identical to
 * `veritysetup format FILE FILE --hash-offset=OFF --data-blocks=OFF/4096 --salt=S --uuid=U`.
 * The data is read with large sequential reads and hashed on worker threads.
 *
 * @example
 * import { formatVerity } from '@mos/atomfs';
 * const { rootHash } = await formatVerity('layer.squashfs');
 */
export async function formatVerity(file: string, opts: FormatOptions = {}): Promise<FormatResult> {
  const salt = opts.salt === undefined ? randomBytes(SALT_SIZE) : parseSalt(opts.salt);
  const uuid = opts.uuid ?? randomUUID();
  const hashOffset = opts.hashOffset ?? (await defaultHashOffset(file));
  if (!Number.isSafeInteger(hashOffset) || hashOffset <= 0 || hashOffset % BLOCK !== 0) {
    throw new BadArgumentError(`hash offset ${hashOffset} must be a positive multiple of ${BLOCK}`, { hashOffset });
  }
  const dataBlocks = hashOffset / BLOCK;
  const geo = verityGeometry({ dataBlocks, hashOffset });
  const sb = encodeVeritySuperblock({ hashType: 1, uuid, algorithm: 'sha256', dataBlockSize: BLOCK, hashBlockSize: BLOCK, dataBlocks, salt });
  const digests = await hashDataBlocks(file, dataBlocks, BLOCK, salt, opts);
  const tree = buildTree(digests, geo, salt);
  const fh = await open(file, 'r+');
  try {
    const head = Buffer.alloc(geo.treeOffset - hashOffset);
    sb.copy(head);
    await fh.write(head, 0, head.length, hashOffset);
    for (let i = geo.levels - 1; i >= 0; i--) await fh.write(tree.levels[i], 0, tree.levels[i].length, geo.levelOffset[i]);
  } finally {
    await fh.close();
  }
  return { rootHash: tree.root.toString('hex'), salt: salt.toString('hex'), uuid, hashOffset, dataBlocks, size: geo.end };
}

async function defaultHashOffset(file: string): Promise<number> {
  const loc = await locateVerity(file);
  if (loc.squashfs && loc.hasVerityData) {
    throw new VerityPresentError(`${file}: already has ${loc.fileSize - loc.hashOffset} bytes after the squashfs image`, { file });
  }
  return loc.hashOffset;
}

function parseSalt(hex: string): Buffer {
  if (!/^([0-9a-fA-F]{2}){1,256}$/.test(hex)) throw new BadArgumentError(`salt must be hex (up to 256 bytes): ${JSON.stringify(hex)}`, { salt: hex });
  return Buffer.from(hex, 'hex');
}
