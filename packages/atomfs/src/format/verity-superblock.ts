import { BadArgumentError, BadVeritySuperblockError } from '../errors';

/** The dm-verity on-disk superblock, format v1 (512 bytes at the hash offset). */
export interface VeritySuperblock {
  /** 1 = normal (salt prepended); 0 = Chrome OS (not supported by atomfs). */
  hashType: number;
  /** Canonical lower-case UUID string. */
  uuid: string;
  algorithm: string;
  dataBlockSize: number;
  hashBlockSize: number;
  dataBlocks: number;
  salt: Buffer;
}

export const VERITY_SUPERBLOCK_SIZE = 512;
const SIGNATURE = Buffer.from('verity\0\0', 'latin1');
const MAX_SALT = 256;

/** Encodes a superblock exactly as `veritysetup format` writes it (zero padding included). */
export function encodeVeritySuperblock(sb: VeritySuperblock): Buffer {
  const b = Buffer.alloc(VERITY_SUPERBLOCK_SIZE);
  SIGNATURE.copy(b, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(sb.hashType, 12);
  uuidToBytes(sb.uuid).copy(b, 16);
  b.write(sb.algorithm, 32, 32, 'latin1');
  b.writeUInt32LE(sb.dataBlockSize, 64);
  b.writeUInt32LE(sb.hashBlockSize, 68);
  b.writeBigUInt64LE(BigInt(sb.dataBlocks), 72);
  b.writeUInt16LE(sb.salt.length, 80);
  sb.salt.copy(b, 88);
  return b;
}

/**
 * Decodes and checks a verity superblock. Only what atomfs can verify is accepted: version 1,
 * hash type 1, sha256, power-of-two block sizes between 512 B and 64 KiB.
 */
export function decodeVeritySuperblock(b: Buffer, where = 'verity superblock'): VeritySuperblock {
  if (b.length < VERITY_SUPERBLOCK_SIZE || !b.subarray(0, 8).equals(SIGNATURE)) {
    throw new BadVeritySuperblockError(`${where}: no verity signature`, { where });
  }
  const version = b.readUInt32LE(8);
  const hashType = b.readUInt32LE(12);
  const algorithm = b.toString('latin1', 32, 64).replace(/\0+$/, '');
  const dataBlockSize = b.readUInt32LE(64);
  const hashBlockSize = b.readUInt32LE(68);
  const dataBlocks = b.readBigUInt64LE(72);
  const saltSize = b.readUInt16LE(80);
  const bad = (why: string) => new BadVeritySuperblockError(`${where}: ${why}`, { where });
  if (version !== 1) throw bad(`version ${version} is not 1`);
  if (hashType !== 1) throw bad(`hash type ${hashType} is not 1`);
  if (algorithm !== 'sha256') throw bad(`algorithm "${algorithm}" is not sha256`);
  for (const s of [dataBlockSize, hashBlockSize]) {
    if (s < 512 || s > 65536 || (s & (s - 1)) !== 0) throw bad(`block size ${s} is not a power of two in 512..65536`);
  }
  if (saltSize > MAX_SALT) throw bad(`salt size ${saltSize} > ${MAX_SALT}`);
  if (dataBlocks === 0n || dataBlocks > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`data block count ${dataBlocks}`);
  return {
    hashType,
    uuid: bytesToUuid(b.subarray(16, 32)),
    algorithm,
    dataBlockSize,
    hashBlockSize,
    dataBlocks: Number(dataBlocks),
    salt: Buffer.from(b.subarray(88, 88 + saltSize)),
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 16 bytes of a textual UUID; throws {@link BadArgumentError} on anything else. */
export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw new BadArgumentError(`not a UUID: ${JSON.stringify(uuid)}`, { uuid });
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
