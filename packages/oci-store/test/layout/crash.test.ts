// kill -9 of a real process in the middle of an import: the layout keeps its previous state
// (tags, blobs, fsck clean), nothing partial is visible under blobs/, and gc clears the
// leftovers of the dead writer (its lock marker is stale).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, copy, fsck, gc } from '@mos/oci-store';
import { buildImage } from '../helpers/image';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const top = join(__dirname, '..', '..', '..', '..');

it('a writer killed with SIGKILL mid-copy leaves the previous state intact', async () => {
  const root = dirs.make();
  const src = await LayoutStore.open(join(root, 'src'), { create: true });
  const big = await buildImage(src, { layerMediaType: MediaType.StackerSquashfsZstdVerity, layers: 4, layerSize: 8 << 20 });
  await src.tag(big.manifest, 'big');
  const dst = await LayoutStore.open(join(root, 'dst'), { create: true });
  const old = await buildImage(dst, { layers: 1 });
  await dst.tag(old.manifest, 'old');
  const before = readdirSync(join(dst.dir, 'blobs', 'sha256')).sort();
  const indexBefore = await dst.index();

  // The child copies and stops (SIGSTOP to itself) once the first blob is half written, so the
  // kill lands mid-stream without any timing guess.
  const script = `
    const { copy } = require(${JSON.stringify(join(top, 'packages/oci-store/src/index.ts'))});
    let stopped = false;
    copy(${JSON.stringify(`oci:${src.dir}:big`)}, ${JSON.stringify(`oci:${dst.dir}:new`)}, { concurrency: 2, onProgress: (e) => {
      if (!stopped && e.phase === 'progress' && e.loaded > e.total / 2) { stopped = true; process.kill(process.pid, 'SIGSTOP'); }
    } });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: top, stdio: 'ignore', env: { ...process.env, TSX_TSCONFIG_PATH: join(top, 'packages/oci-store/tsconfig.json') } });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      const poll = setInterval(() => {
        const state = require('node:fs').readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1][0];
        if (state === 'T') {
          clearInterval(poll);
          child.removeAllListeners('exit');
          resolve();
        }
      }, 20);
    });
    expect(readdirSync(dst.uploadsDir).some((n) => n.startsWith('blob-'))).toBe(true); // it was mid-write
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }

  expect(readdirSync(join(dst.dir, 'blobs', 'sha256')).sort()).toEqual(before);
  expect(await dst.index()).toEqual(indexBefore);
  expect((await fsck(dst)).ok).toBe(true);
  expect(await dst.tags()).toEqual(['old']);

  const r = await gc(dst); // the dead writer's shared marker is stale, so gc does not wait
  expect(r.staleUploads).toBeGreaterThan(0);
  expect(readdirSync(dst.uploadsDir)).toEqual([]);
  expect(existsSync(join(dst.dir, '.locks')) ? readdirSync(join(dst.dir, '.locks')).filter((n) => n.startsWith('shared.')) : []).toEqual([]);
  expect((await dst.resolve('old')).digest).toBe(old.manifest.digest);

  // And the import can simply be run again.
  await copy(`oci:${src.dir}:big`, `oci:${dst.dir}:new`);
  expect((await dst.resolve('new')).digest).toBe(big.manifest.digest);
  expect((await fsck(dst)).ok).toBe(true);
});
