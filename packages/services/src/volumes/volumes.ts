import { existsSync } from 'node:fs';
import { chown, mkdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { StorageItem } from '@mos/manifest';
import { ServicesError } from '../errors';
import { mountAt, umountAll } from '../lib/mounts';
import type { ServicePaths } from '../paths';
import type { Sys } from '../sys';

/** What prepareVolume did with one volume. */
export interface VolumeResult {
  label: string;
  action: 'kept' | 'created' | 'recreated' | 'mounted';
  mountPoint: string;
  backing: string;
}

/** Where volumes live and whose range owns them. */
export interface VolumeContext {
  sys: Sys;
  paths: ServicePaths;
  /** Label → block device (settings `volumeDevices`); others are files under `R/storage-volumes/`. */
  devices: Record<string, string>;
  /** nsgroup → first host id ("" and "none" map to 0). */
  hostidOf: (nsgroup: string) => number;
}

const fail = (label: string, what: string, cause: unknown) =>
  new ServicesError('ERR_SERVICES_VOLUME_FAILED', `storage volume ${label}: ${what}: ${(cause as Error).message}`, { label }, { cause });

/**
 * Makes one storage volume ready at `R/storage/<label>`: an ext4 filesystem in
 * `R/storage-volumes/<label>.ext4` (sparse, `size` MiB) or on the configured partition, its root
 * owned by the nsgroup's range. **Persistent volumes keep their data; non-persistent ones are
 * made anew** when `fresh` (the supervisor's first boot) -- the original did the opposite (its
 * BUG 4). A volume that is mounted already stays as it is unless it must be made anew.
 */
export async function prepareVolume(c: VolumeContext, item: StorageItem, fresh: boolean): Promise<VolumeResult> {
  const mountPoint = c.paths.storageMount(item.label);
  const device = c.devices[item.label];
  const backing = device ?? c.paths.volumeFile(item.label);
  const owner = c.hostidOf(item.nsgroup);
  const remake = fresh && !item.persistent;
  const mounted = !!(await mountAt(c.sys, mountPoint));
  if (mounted && !remake) return { label: item.label, action: 'kept', mountPoint, backing };
  try {
    if (mounted) await umountAll(c.sys, mountPoint);
    let action: VolumeResult['action'] = 'mounted';
    const exists = device ? await hasFilesystem(c.sys, device) : existsSync(backing);
    if (remake || !exists) {
      if (!device) {
        await mkdir(c.paths.volumesDir, { recursive: true, mode: 0o700 });
        await rm(backing, { force: true });
        await writeFile(backing, '', { mode: 0o600 });
        await truncate(backing, item.size * 1024 * 1024);
      }
      // root_owner: the filesystem's root belongs to the nsgroup's root from the start.
      await c.sys.run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${owner}:${owner}`, backing]);
      action = exists ? 'recreated' : 'created';
    }
    await mkdir(mountPoint, { recursive: true });
    await c.sys.run('mount', device ? ['-o', 'nodev,nosuid', backing, mountPoint] : ['-o', 'loop,nodev,nosuid', backing, mountPoint]);
    // A kept volume of a group whose range moved (or a foreign partition) gets its root re-owned.
    const st = await stat(mountPoint);
    if (st.uid !== owner || st.gid !== owner) await chown(mountPoint, owner, owner);
    return { label: item.label, action, mountPoint, backing };
  } catch (e) {
    throw e instanceof ServicesError && e.code === 'ERR_SERVICES_VOLUME_FAILED' ? e : fail(item.label, 'could not be prepared', e);
  }
}

/** Unmounts a volume (loop devices of file volumes detach with it). */
export async function unmountVolume(c: VolumeContext, label: string): Promise<void> {
  await umountAll(c.sys, c.paths.storageMount(label));
}

async function hasFilesystem(sys: Sys, device: string): Promise<boolean> {
  const r = await sys.run('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { allowFail: true });
  return r.code === 0 && r.stdout.trim() === 'ext4';
}
