import { STATUS_AT_MOUNT, STATUS_UNVERIFIED, recheckByHash, verifyBeforeMount, type Backend } from './backend';

/**
 * squashfuse, for callers that are not host root (a user namespace): the same upfront
 * verification, then a FUSE mount. squashfuse daemonizes once the mount is up.
 */
export const squashfuseBackend: Backend = {
  name: 'squashfuse',
  unavailable(ctx) {
    return ctx.sys.exists('/dev/fuse') ? null : 'no FUSE (/dev/fuse is missing)';
  },
  async mount(ctx, req) {
    await verifyBeforeMount(ctx, req);
    // allow_other lets container uids read the layer; only root may set it without fuse.conf.
    const opts = ctx.sys.isHostRoot() ? ['-o', 'allow_other'] : [];
    await ctx.sys.run('squashfuse', [...opts, req.layer.path, req.mountpoint]);
    return { device: req.layer.path, protection: req.verify ? 'verified-at-mount' : 'unverified', status: `${req.verify ? STATUS_AT_MOUNT : STATUS_UNVERIFIED} (squashfuse)` };
  },
  async release(ctx, rec) {
    if (ctx.sys.isHostRoot()) await ctx.sys.umount(rec.mountpoint);
    else await ctx.sys.run('fusermount', ['-u', rec.mountpoint]);
  },
  check: (ctx, rec) => recheckByHash(ctx, rec, ', squashfuse'),
};
