import { join } from 'node:path';
import { LayoutStore, parseManifest, resolveImage, type Descriptor } from '@mos/oci-store';
import { ManifestError } from '../errors';
import type { TargetCheck, VerifiedTarget } from './load-verified-state';

/** A target's image is missing from the store, or is not what the signed manifest pins. */
export class ImageVerifyFailedError extends ManifestError {
  readonly target: string;
  constructor(target: string, message: string, options?: { cause?: unknown }) {
    super('ERR_MANIFEST_IMAGE_VERIFY_FAILED', message, options);
    this.target = target;
  }
}

/** Where a root keeps its images: one OCI layout, every image tagged `sha256:<hex>`. */
export const storeDir = (root: string) => join(root, 'atomfs-store', 'mos');

/**
 * A {@link TargetCheck} against the root's image store: the tag `sha256:<hex>` (the target's
 * digest) resolves to exactly one OCI image manifest, whose digest and size are the ones the
 * signed install manifest pins, and whose config and layer blobs are present with the right
 * sizes. (Layer contents are verified by atomfs when they are mounted.)
 *
 * @example
 * import { loadVerifiedState, storeTargetCheck } from '@mos/manifest';
 * await loadVerifiedState({ root, checkTarget: await storeTargetCheck(root) });
 */
export async function storeTargetCheck(root: string): Promise<TargetCheck> {
  let store: LayoutStore | undefined;
  return async (t: VerifiedTarget) => {
    const { digest, size } = t.target;
    const fail = (why: string, cause?: unknown) => new ImageVerifyFailedError(t.name, `target "${t.name}": ${why}`, { cause });
    try {
      store ??= await LayoutStore.open(storeDir(root));
    } catch (e) {
      throw fail(`no image store at ${storeDir(root)}`, e);
    }
    let desc: Descriptor;
    try {
      desc = await resolveImage(store, digest);
    } catch (e) {
      throw fail(`image ${digest} is not in the store: ${(e as Error).message}`, e);
    }
    if (desc.digest !== digest) throw fail(`tag ${digest} names image ${desc.digest}, not the one the manifest pins`);
    if (desc.size !== size) throw fail(`image ${digest} has size ${desc.size}, the manifest pins ${size}`);
    try {
      const m = parseManifest(await store.fetchBytes(desc), desc.mediaType);
      for (const blob of [m.config, ...m.layers]) {
        if (!(await store.exists(blob))) throw new Error(`blob ${blob.digest} (${blob.size} bytes) is missing`);
      }
    } catch (e) {
      throw fail(`image ${digest} is incomplete or corrupt: ${(e as Error).message}`, e);
    }
  };
}
