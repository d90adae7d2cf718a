import { mountAt, parseMountinfo } from '../../lib/mountinfo';
import { STATUS_AT_MOUNT, STATUS_UNVERIFIED, recheckByHash, verifyBeforeMount, type Backend } from './backend';

/**
 * Verified loop: re-hash the whole layer against the root hash in userspace, then a read-only
 * kernel loop mount (util-linux sets autoclear, so the loop device goes with the mount). Used
 * as host root when the kernel has no device-mapper.
 */
export const verifiedLoopBackend: Backend = {
  name: 'verified-loop',
  unavailable(ctx) {
    return ctx.sys.isHostRoot() ? null : 'kernel loop mounts need root in the initial user namespace';
  },
  async mount(ctx, req) {
    await verifyBeforeMount(ctx, req);
    await ctx.sys.mount({ fstype: 'squashfs', source: req.layer.path, target: req.mountpoint, options: 'loop,ro' });
    const device = mountAt(parseMountinfo(await ctx.sys.mountinfo()), req.mountpoint)?.source;
    return { device, protection: req.verify ? 'verified-at-mount' : 'unverified', status: req.verify ? STATUS_AT_MOUNT : STATUS_UNVERIFIED };
  },
  async release(ctx, rec) {
    await ctx.sys.umount(rec.mountpoint);
  },
  check: (ctx, rec) => recheckByHash(ctx, rec),
};
