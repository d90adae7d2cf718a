// The store lock across processes, with markers other processes would leave (internals of the
// lock protocol, hence test/unit).
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, realSys, gc } from '@mos/oci-store';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('store lock', () => {
  it('stale markers of dead processes are removed; a live holder makes gc wait and then fail with ERR_OCI_LOCKED', async () => {
    const dir = dirs.make();
    const s = await LayoutStore.open(dir, { create: true, lockWaitMs: 200 });
    mkdirSync(join(dir, '.locks'), { recursive: true });
    writeFileSync(join(dir, '.locks', 'shared.4000000.dead'), '4000000\n'); // no such pid
    writeFileSync(join(dir, '.locks', 'index.lock'), '4000001\n');
    await s.tag({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 1 }, 't'); // index lock was stale
    await gc(s); // stale shared marker removed
    expect(readdirSync(join(dir, '.locks')).filter((n) => !n.startsWith('tmp.'))).toEqual([]);

    writeFileSync(join(dir, '.locks', 'shared.1.live'), '1\n'); // pid 1 is alive
    await expect(gc(s)).rejects.toMatchObject({ code: 'ERR_OCI_LOCKED', details: { pid: 1, lock: 'shared' } });
    // A failed exclusive attempt leaves no exclusive marker behind: imports proceed.
    expect(readdirSync(join(dir, '.locks'))).not.toContain('exclusive.lock');
    await s.untag('t');
  });

  it('an exclusive holder (another process) makes writers wait and fail with ERR_OCI_LOCKED', async () => {
    const dir = dirs.make();
    const s = await LayoutStore.open(dir, { create: true, lockWaitMs: 100, sys: { ...realSys } });
    mkdirSync(join(dir, '.locks'), { recursive: true });
    writeFileSync(join(dir, '.locks', 'exclusive.lock'), '1\n');
    await expect(s.pushJson({ a: 1 }, 'application/json')).rejects.toMatchObject({ code: 'ERR_OCI_LOCKED' });
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });
});
