import { join } from 'node:path';
import { mountMolecule, resolveImageLayers, umountMolecule, type BackendName, type MountedMolecule } from '@mos/atomfs';
import { storeDir, type Target } from '@mos/manifest';

/** Where a root keeps layer mounts, mount records and overlay upper/work dirs. */
export const scratchDir = (root: string) => join(root, 'scratch-writes');

/**
 * Mounts a target's image from the root's store at `dest`: its squashfs layers verified
 * against their root hashes and stacked with overlayfs, read-only or with a writable upper dir
 * under `R/scratch-writes`. The caller has verified the target (signature and store check).
 */
export async function mountTarget(opts: {
  root: string;
  target: Target;
  dest: string;
  readonly?: boolean;
  /** Require this backend for the layers (the initrd requires `dm-verity`). Default: atomfs chooses. */
  backend?: BackendName;
  /** Start from an empty upper dir (see atomfs `fresh`). Default false. */
  fresh?: boolean;
  /** Record the root under this path (see atomfs `recordAs`). Default: `dest`. */
  recordAs?: string;
}): Promise<MountedMolecule> {
  const image = await resolveImageLayers({ layout: storeDir(opts.root), digest: opts.target.digest });
  return mountMolecule({
    layers: image.layers,
    // The record names the target, so status can tell targets that share an image apart.
    source: { image: `oci:${storeDir(opts.root)}@${opts.target.digest}`, manifest: opts.target.digest, target: opts.target.service_name },
    dest: opts.dest,
    writable: !opts.readonly,
    fresh: opts.fresh,
    recordAs: opts.recordAs,
    backend: opts.backend,
    scratch: scratchDir(opts.root),
  });
}

/** Unmounts a root mounted by {@link mountTarget}; its layer mounts go when no other root uses them. */
export async function umountTarget(dest: string): Promise<void> {
  await umountMolecule(dest, {});
}
