import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianKernel, runBin, tempDirs, type Kernel } from '@mos/test-utils';
import { makeWorld, stopWorld, type World } from './helpers/world';

// `mosb initrd build` and `mosb bootkit build` as a user calls them: the result, and the
// mistakes a user makes, each with its exit status and nothing written.
let w: World;
let kernel: Kernel;
const dirs = tempDirs();
beforeAll(async () => {
  kernel = await debianKernel();
  w = await makeWorld();
});
afterAll(async () => {
  dirs.cleanup();
  await stopWorld(w);
});

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test('mosb initrd build: the same inputs give the same bytes; --json says what it wrote', async () => {
  const dir = dirs.make('mos-e2e-initrd-');
  const outs = [join(dir, 'a.img'), join(dir, 'b.img')];
  const results = [];
  for (const out of outs) {
    const r = await runBin('mosb', ['initrd', 'build', '--ca', w.caPath, '--kernel', kernel.root, '--out', out, '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    results.push(JSON.parse(r.stdout));
  }
  expect(results[0]).toMatchObject({ kver: kernel.kver, compress: 'zstd', sha256: sha256(outs[0]) });
  expect(results[0].modules).toEqual(expect.arrayContaining([expect.stringMatching(/dm-verity\.ko$/), expect.stringMatching(/squashfs\.ko$/), expect.stringMatching(/overlay\.ko$/)]));
  expect(sha256(outs[1])).toBe(sha256(outs[0]));
});

test.each([
  [['--kernel', '/nonexistent'], 2, /--ca/],
  [['--ca', 'CA', '--kernel', 'K', '--compress', 'bz2'], 2, /--compress must be one of zstd, gzip, lz4, none, not "bz2"/],
  [['--ca', 'CA', '--kernel', '/nonexistent'], 4, /kernel tree \/nonexistent does not exist/],
  [['--ca', '/etc/hostname', '--kernel', 'K'], 2, /holds no PEM certificate/],
])('mosb initrd build %j: exit %i, says why, writes nothing', async (args, code, why) => {
  const dir = dirs.make('mos-e2e-initrd-');
  const out = join(dir, 'x.img');
  const argv = args.map((a) => (a === 'CA' ? w.caPath : a === 'K' ? kernel.root : a));
  const r = await runBin('mosb', ['initrd', 'build', ...argv, '--out', out]);
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(why);
  expect(existsSync(out)).toBe(false);
});

test('mosb bootkit build of a keyset that does not exist: exit 4, names it', async () => {
  const r = await runBin('mosb', ['bootkit', 'build', '--keyset', 'nope', '--kernel', kernel.root], { env: w.env });
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/keyset "nope" not found/);
});
