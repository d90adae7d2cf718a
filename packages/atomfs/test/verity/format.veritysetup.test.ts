// The veritysetup byte-equality table (issue 4 §2): for each size, veritysetup formats a copy
// with our salt and uuid, and the files must be identical byte for byte.
import { copyFileSync, openSync, closeSync, writeSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HashPool, formatVerity, verifyVerity, dumpVerity } from '@mos/atomfs';
// Internal: the one-thread hashing path, to compare the pool against.
import { hashDataBlocks } from '../../src/verity/hash-pool';
import { tempDir, sh } from '../helpers/tmp';

const SALT = 'a5'.repeat(16) + '0123456789abcdef'.repeat(2);
const UUID = '01234567-89ab-cdef-0123-456789abcdef';

function randomFile(path: string, blocks: number): void {
  const fd = openSync(path, 'w');
  try {
    // Written in 4 MiB pieces so a few hundred MiB never sit in memory at once.
    for (let left = blocks * 4096; left > 0; ) {
      const n = Math.min(left, 4 << 20);
      writeSync(fd, randomBytes(n));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

function veritysetupFormat(path: string, blocks: number): string {
  const off = blocks * 4096;
  const { out } = sh('veritysetup', ['format', path, path, `--hash-offset=${off}`, `--data-blocks=${blocks}`, `--salt=${SALT}`, `--uuid=${UUID}`]);
  return /Root hash:\s+([0-9a-f]{64})/.exec(out)![1];
}

describe('formatVerity matches veritysetup format byte for byte', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  // 0, 1, 1, 2 and 3 levels; then ~300 MiB, which takes the worker-thread path.
  it.each([1, 74, 128, 129, 16385, 76800])('%i data blocks', async (blocks) => {
    const ours = join(t.dir, `ours-${blocks}`);
    const ref = join(t.dir, `ref-${blocks}`);
    randomFile(ours, blocks);
    copyFileSync(ours, ref);
    const theirRoot = veritysetupFormat(ref, blocks);
    const r = await formatVerity(ours, { hashOffset: blocks * 4096, salt: SALT, uuid: UUID });
    expect(r.rootHash).toBe(theirRoot);
    expect(statSync(ours).size).toBe(statSync(ref).size);
    expect(r.size).toBe(statSync(ref).size);
    expect(sh('cmp', [ours, ref], { allowFail: true }).code).toBe(0);
    // veritysetup accepts ours, and we accept theirs.
    expect(sh('veritysetup', ['verify', ours, ours, r.rootHash, `--hash-offset=${blocks * 4096}`], { allowFail: true }).code).toBe(0);
    await expect(verifyVerity(ref, theirRoot, { hashOffset: blocks * 4096 })).resolves.toMatchObject({ dataBlocks: blocks });
    const d = await dumpVerity(ours, { hashOffset: blocks * 4096 });
    expect(d).toMatchObject({ uuid: UUID, salt: SALT, dataBlocks: blocks, hashType: 1, algorithm: 'sha256' });
    for (const f of [ours, ref]) require('node:fs').rmSync(f);
  });

  it('hashes identically in one thread and on workers', async () => {
    const a = join(t.dir, 'thr-a');
    const b = join(t.dir, 'thr-b');
    randomFile(a, 20000);
    copyFileSync(a, b);
    const one = await formatVerity(a, { hashOffset: 20000 * 4096, salt: SALT, uuid: UUID, threads: 1 });
    const two = await formatVerity(b, { hashOffset: 20000 * 4096, salt: SALT, uuid: UUID, threads: 2 });
    expect(two.rootHash).toBe(one.rootHash);
    expect(sh('cmp', [a, b], { allowFail: true }).code).toBe(0);
  });

  it('uses a random salt and uuid by default, and veritysetup verifies the result', async () => {
    const f = join(t.dir, 'rand');
    randomFile(f, 300);
    const r = await formatVerity(f, { hashOffset: 300 * 4096 });
    expect(r.salt).toMatch(/^[0-9a-f]{64}$/);
    const dump = sh('veritysetup', ['dump', f, `--hash-offset=${300 * 4096}`]).out;
    expect(dump).toContain(r.uuid);
    expect(dump).toContain(r.salt);
    expect(sh('veritysetup', ['verify', f, f, r.rootHash, `--hash-offset=${300 * 4096}`], { allowFail: true }).code).toBe(0);
  });
});

describe('HashPool', () => {
  const t = tempDir();
  afterAll(t.cleanup);
  it('hashes several files on one set of workers, and fails queued jobs when closed', async () => {
    const pool = new HashPool(2);
    const files = [1, 2, 3].map((i) => {
      const f = join(t.dir, `p${i}`);
      randomFile(f, 3000 * i);
      return f;
    });
    try {
      const salt = Buffer.alloc(32, 7);
      const digests = await Promise.all(files.map((f, i) => pool.hashFile(f, 3000 * (i + 1), 4096, salt)));
      for (const [i, f] of files.entries()) expect(digests[i].equals(await hashDataBlocks(f, 3000 * (i + 1), 4096, salt, { threads: 1 }))).toBe(true);
      const pending = pool.hashFile(files[2], 9000, 4096, salt).then(
        () => 'finished',
        (e: Error) => e.message,
      );
      await pool.close();
      expect(await pending).toBe('hash pool closed');
    } finally {
      await pool.close();
    }
  });
});
