import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RemoteAccessOptions } from '@mos/oci-store';
import { loadVerifiedState, lockState, statePaths, storeTargetCheck, type Target } from '@mos/manifest';
import { findManifestCA } from '@mos/trust';
import { BringupError, importRemoteTarget, mountTarget, umountTarget } from '@mos/bringup';
import { MosctlError } from '../errors';

export interface MountOptions extends RemoteAccessOptions {
  root?: string;
  /** Target to mount. Default `hostfs`, or `livecd` when `url` is given. */
  target?: string;
  /** Default `R/mnt/mos/<target>`. */
  dest?: string;
  readonly?: boolean;
  /** A remote signed install manifest (the livecd case); refused on an installed root. */
  url?: string;
  /** Manifest CA (not the registry TLS CA). Default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem. */
  manifestCa?: string;
  now?: Date;
}

export interface MountResult {
  target: string;
  digest: string;
  dest: string;
  writable: boolean;
}

/**
 * `mosctl mount` (mos-original §4.6): an installed target, verified with the whole committed
 * state, or -- with `url`, on a root that is not installed -- a target of a remote signed
 * manifest, verified and imported into the store first. Writable mounts keep their upper dir
 * under `R/scratch-writes`.
 */
export async function mount(opts: MountOptions): Promise<MountResult> {
  const root = opts.root ?? '/';
  if (!existsSync(root)) throw new MosctlError('ERR_MOSCTL_NOT_FOUND', `root ${root} does not exist`);
  const name = opts.target ?? (opts.url ? 'livecd' : 'hostfs');
  let target: Target;
  if (!opts.url) {
    const lock = await lockState({ root, mode: 'shared' });
    try {
      const state = await loadVerifiedState({ root, ca: opts.manifestCa, checkTarget: await storeTargetCheck(root), now: opts.now });
      const t = state.targets.find((x) => x.name === name);
      if (!t) throw new BringupError('ERR_BRINGUP_TARGET_NOT_FOUND', `the installed system has no target "${name}" (it has ${state.targets.map((x) => x.name).join(', ')})`);
      target = t.target;
    } finally {
      await lock.release();
    }
  } else {
    if (existsSync(statePaths(root).manifestGit)) {
      throw new BringupError('ERR_BRINGUP_INSTALLED', `${root} is installed: mounting a remote manifest there is refused; mount its installed targets without a URL`);
    }
    target = await importRemoteTarget({ root, url: opts.url, name, caPath: findManifestCA({ root, explicit: opts.manifestCa }), registry: opts, now: opts.now });
  }
  const dest = opts.dest ?? join(root, 'mnt', 'mos', name);
  await mountTarget({ root, target, dest, readonly: opts.readonly });
  return { target: name, digest: target.digest, dest, writable: !opts.readonly };
}

/** `mosctl umount D`. */
export const umount = (dest: string) => umountTarget(dest);
