// verifyVerity rejects corrupt data, a corrupt tree and a wrong root hash, naming the first bad
// block; veritysetup verify agrees on each case.
import { copyFileSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AtomfsError, formatVerity, verifyVerity, verityGeometry } from '@mos/atomfs';
import { flipByte, sh, tempDir } from '../helpers/tmp';

const BLOCKS = 20000; // 3 levels (157, 2, 1 hash blocks), and enough data for the worker path
const OFF = BLOCKS * 4096;

describe('verifyVerity on damaged files', () => {
  const t = tempDir();
  let pristine: string;
  let rootHash: string;
  beforeAll(async () => {
    pristine = join(t.dir, 'pristine');
    const fd = openSync(pristine, 'w');
    for (let i = 0; i < BLOCKS; i += 1024) writeSync(fd, randomBytes(Math.min(1024, BLOCKS - i) * 4096));
    closeSync(fd);
    ({ rootHash } = await formatVerity(pristine, { hashOffset: OFF }));
  });
  afterAll(t.cleanup);

  async function expectCode(file: string, root: string, code: string, details: Record<string, unknown> = {}, threads?: number) {
    const err = await verifyVerity(file, root, { hashOffset: OFF, threads }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AtomfsError);
    expect(err).toMatchObject({ code, details: expect.objectContaining(details) });
    // The oracle also refuses the file.
    expect(sh('veritysetup', ['verify', file, file, root, `--hash-offset=${OFF}`], { allowFail: true }).code).not.toBe(0);
  }

  function damaged(name: string, offset: number): string {
    const f = join(t.dir, name);
    copyFileSync(pristine, f);
    flipByte(f, offset);
    return f;
  }

  it('accepts the pristine file', async () => {
    await expect(verifyVerity(pristine, rootHash, { hashOffset: OFF })).resolves.toMatchObject({ dataBlocks: BLOCKS, levels: 3 });
  });

  it.each([1, 2])('names the first corrupt data block (threads=%i)', async (threads) => {
    const f = damaged(`data-${threads}`, 12345 * 4096 + 77);
    flipByte(f, 17000 * 4096);
    await expectCode(f, rootHash, 'ERR_ATOMFS_DATA_BLOCK_CORRUPT', { block: 12345, offset: 12345 * 4096 }, threads);
    rmSync(f);
  });

  it('names a corrupt level-0 hash block', async () => {
    const geo = verityGeometry({ dataBlocks: BLOCKS, hashOffset: OFF });
    const f = damaged('tree0', geo.levelOffset[0] + 3 * 4096 + 5);
    await expectCode(f, rootHash, 'ERR_ATOMFS_HASH_BLOCK_CORRUPT', { level: 0, block: 3 });
    rmSync(f);
  });

  it('reports a corrupt top block as a root hash mismatch', async () => {
    const geo = verityGeometry({ dataBlocks: BLOCKS, hashOffset: OFF });
    const f = damaged('top', geo.levelOffset[geo.levels - 1] + 10);
    await expectCode(f, rootHash, 'ERR_ATOMFS_ROOT_HASH_MISMATCH');
    rmSync(f);
  });

  it('rejects a wrong root hash', async () => {
    const wrong = (rootHash[0] === '0' ? '1' : '0') + rootHash.slice(1);
    await expectCode(pristine, wrong, 'ERR_ATOMFS_ROOT_HASH_MISMATCH');
  });

  it('rejects a damaged superblock and a truncated tree', async () => {
    const sbBad = damaged('sb', OFF + 2);
    await expect(verifyVerity(sbBad, rootHash, { hashOffset: OFF })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_VERITY_SUPERBLOCK' });
    rmSync(sbBad);
    const short = join(t.dir, 'short');
    copyFileSync(pristine, short);
    sh('truncate', ['-s', String(OFF + 4096 + 4096), short]);
    await expect(verifyVerity(short, rootHash, { hashOffset: OFF })).rejects.toMatchObject({ code: 'ERR_ATOMFS_VERITY_TRUNCATED' });
    rmSync(short);
  });

  it('rejects malformed root hashes before reading anything', async () => {
    for (const bad of ['', 'xyz', rootHash.slice(1), rootHash + '00']) {
      await expect(verifyVerity(pristine, bad, { hashOffset: OFF })).rejects.toMatchObject({ code: 'ERR_ATOMFS_BAD_ARGUMENT' });
    }
  });
});
