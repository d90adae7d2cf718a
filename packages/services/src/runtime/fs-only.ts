import { mkdir } from 'node:fs/promises';
import type { Target } from '@mos/manifest';
import { umountAll } from '../lib/mounts';
import type { RuntimeContext } from './context';

/**
 * Activates an `fs-only` target: its read-only root at `R/scratch-writes/roots/<name>`,
 * bind-mounted read-only at `R/mnt/atom/<name>`. Whatever was there before (an older version)
 * is unmounted first; if the new version cannot be mounted, the previous one (`previous`) is
 * mounted back so a failed update does not leave the target missing.
 */
export async function applyFsOnly(ctx: RuntimeContext, target: Target, previous?: Target): Promise<void> {
  await teardownFsOnly(ctx, target.service_name);
  try {
    await mountFsOnly(ctx, target);
  } catch (e) {
    await teardownFsOnly(ctx, target.service_name).catch(() => undefined);
    if (previous) await mountFsOnly(ctx, previous).catch(() => undefined);
    throw e;
  }
}

async function mountFsOnly(ctx: RuntimeContext, target: Target): Promise<void> {
  const name = target.service_name;
  const rootfs = ctx.paths.rootOf(name);
  const dest = ctx.paths.atomMount(name);
  await ctx.provider.mountReadOnly({ target, dest: rootfs });
  await mkdir(dest, { recursive: true });
  await ctx.sys.run('mount', ['--bind', rootfs, dest]);
  await ctx.sys.run('mount', ['-o', 'remount,bind,ro', dest]);
}

/** Unmounts an fs-only target: the bind at `R/mnt/atom/<name>`, then its root. */
export async function teardownFsOnly(ctx: RuntimeContext, name: string): Promise<void> {
  await umountAll(ctx.sys, ctx.paths.atomMount(name));
  await ctx.provider.umount({ dest: ctx.paths.rootOf(name) });
}
