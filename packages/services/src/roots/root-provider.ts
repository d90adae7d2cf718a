import { mkdir } from 'node:fs/promises';
import { AtomfsError, mountMolecule, resolveImageLayers, umountMolecule, type ResolvedImage } from '@mos/atomfs';
import type { Target } from '@mos/manifest';
import { umountAll } from '../lib/mounts';
import type { Sys } from '../sys';

/**
 * How a target's root filesystem gets mounted. The service runtime needs only these three
 * operations, so it is tested and benchmarked the same way whatever mounts the root; the atomfs
 * molecule ({@link AtomfsRootProvider}) is the default.
 */
export interface RootProvider {
  /** A short name for logs (`atomfs`). */
  readonly kind: string;
  /**
   * Mounts a fresh writable root of `target` at `dest`: the image read-only below, a new upper
   * dir above. Whatever upper dir an earlier mount at `dest` had is removed first (the original
   * leaked one set per activation).
   */
  mountWritable(o: { target: Target; dest: string }): Promise<void>;
  /** Mounts the read-only root of `target` at `dest`. */
  mountReadOnly(o: { target: Target; dest: string }): Promise<void>;
  /** Unmounts what is at `dest` and removes its upper dir. Not mounted is fine. */
  umount(o: { dest: string }): Promise<void>;
}

/**
 * Roots from the atomfs molecule: the image `sha256:<hex>` of the root's store
 * (`R/atomfs-store/mos`), its squashfs layers verified and shared under
 * `R/scratch-writes/atomfs`, an overlay at `dest` (writable: upper and work dirs under that
 * scratch dir, removed on umount).
 */
export class AtomfsRootProvider implements RootProvider {
  readonly kind = 'atomfs';
  private readonly images = new Map<string, Promise<ResolvedImage>>();
  constructor(private readonly sys: Sys, private readonly store: string, private readonly scratch: string) {}

  mountWritable(o: { target: Target; dest: string }): Promise<void> {
    return this.mount(o.target, o.dest, true);
  }

  mountReadOnly(o: { target: Target; dest: string }): Promise<void> {
    return this.mount(o.target, o.dest, false);
  }

  async umount(o: { dest: string }): Promise<void> {
    try {
      await umountMolecule(o.dest, { scratch: this.scratch });
    } catch (e) {
      if (!(e instanceof AtomfsError && e.code === 'ERR_ATOMFS_NOT_MOUNTED')) throw e;
    }
    // Something that is not a molecule (a crashed run's leftover) must not stay under a root either.
    await umountAll(this.sys, o.dest);
  }

  private async mount(target: Target, dest: string, writable: boolean): Promise<void> {
    await this.umount({ dest });
    await mkdir(dest, { recursive: true });
    // An image is immutable by digest, so its layers are resolved once (a boot mounts the same
    // image for many services); if the store changed under a cached entry, resolve again.
    for (let attempt = 0; ; attempt++) {
      const img = await this.resolve(target.digest);
      try {
        // nodev: a device node shipped in an image opens nothing, inside the container or through its root on the host.
        await mountMolecule({ dest, layers: img.layers, writable, nodev: true, scratch: this.scratch, source: { image: img.ref, manifest: target.digest } });
        return;
      } catch (e) {
        this.images.delete(target.digest);
        if (attempt > 0 || (e as { code?: string }).code === 'ERR_ATOMFS_ALREADY_MOUNTED') throw e;
      }
    }
  }

  private resolve(digest: string): Promise<ResolvedImage> {
    let p = this.images.get(digest);
    if (!p) {
      p = resolveImageLayers({ layout: this.store, digest });
      this.images.set(digest, p);
      p.catch(() => this.images.delete(digest));
    }
    return p;
  }
}
