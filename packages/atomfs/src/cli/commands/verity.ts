import { dumpVerity } from '../../verity/dump';
import { formatVerity } from '../../verity/format';
import { verifyVerity } from '../../verity/verify';
import { int, str, type CommandSpec } from '../kit';

const hashOffset = { type: 'string', arg: 'BYTES', help: 'offset of the verity superblock (default: end of the squashfs image, or the file size)' } as const;

export const verityCommands: CommandSpec[] = [
  {
    words: ['verity', 'format'],
    summary: 'append a dm-verity superblock and hash tree (veritysetup-compatible); prints the root hash',
    args: '[--salt HEX] [--uuid UUID] [--hash-offset BYTES] FILE',
    positionals: [1, 1],
    options: {
      salt: { type: 'string', arg: 'HEX', help: 'salt (default: 32 random bytes)' },
      uuid: { type: 'string', arg: 'UUID', help: 'superblock UUID (default: random)' },
      'hash-offset': hashOffset,
    },
    async run({ values, positionals }) {
      const r = await formatVerity(positionals[0], { salt: str(values, 'salt'), uuid: str(values, 'uuid'), hashOffset: int(values, 'hash-offset') });
      return { text: r.rootHash, json: r };
    },
  },
  {
    words: ['verity', 'verify'],
    summary: 'check every hash and data block against ROOTHASH; names the first bad block',
    args: '[--hash-offset BYTES] FILE ROOTHASH',
    positionals: [2, 2],
    options: { 'hash-offset': hashOffset },
    async run({ values, positionals }) {
      const r = await verifyVerity(positionals[0], positionals[1], { hashOffset: int(values, 'hash-offset') });
      const { superblock: _sb, ...rest } = r;
      return { text: `OK: ${r.dataBlocks} data blocks and ${r.hashBlocks} hash blocks verified`, json: { ok: true, ...rest } };
    },
  },
  {
    words: ['verity', 'dump'],
    summary: 'print the verity superblock',
    args: '[--hash-offset BYTES] FILE',
    positionals: [1, 1],
    options: { 'hash-offset': hashOffset },
    async run({ values, positionals }) {
      const d = await dumpVerity(positionals[0], { hashOffset: int(values, 'hash-offset') });
      const text = [
        `UUID:            ${d.uuid}`,
        `Hash type:       ${d.hashType}`,
        `Data blocks:     ${d.dataBlocks}`,
        `Data block size: ${d.dataBlockSize}`,
        `Hash block size: ${d.hashBlockSize}`,
        `Hash algorithm:  ${d.algorithm}`,
        `Salt:            ${d.salt}`,
        `Hash offset:     ${d.hashOffset}`,
        `Hash levels:     ${d.levels}`,
        `Hash blocks:     ${d.hashBlocks}`,
      ].join('\n');
      return { text, json: d };
    },
  },
];
