import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { recheckByHash, STATUS_UNVERIFIED, verifyBeforeMount, type Backend } from './backend';

const STATUS = 'verified before extraction; the extracted copy is not protected';

/** Extract with unsquashfs when nothing can mount (same upfront verification). */
export const extractBackend: Backend = {
  name: 'extract',
  unavailable: () => null,
  async mount(ctx, req) {
    await verifyBeforeMount(ctx, req);
    try {
      await ctx.sys.run('unsquashfs', ['-no-progress', '-quiet', '-force', '-dest', req.mountpoint, req.layer.path]);
    } catch (e) {
      await emptyDir(req.mountpoint);
      throw e;
    }
    return { protection: req.verify ? 'verified-at-mount' : 'unverified', status: req.verify ? STATUS : STATUS_UNVERIFIED };
  },
  async release(_ctx, rec) {
    await emptyDir(rec.mountpoint);
  },
  check: (ctx, rec) => recheckByHash(ctx, rec, ', extracted copy not re-checked'),
};

async function emptyDir(dir: string): Promise<void> {
  for (const n of await readdir(dir).catch(() => [])) await rm(join(dir, n), { recursive: true, force: true });
}
