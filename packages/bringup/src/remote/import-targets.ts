import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copy, LayoutStore, openRemote, resolveImage, type ProgressEvent, type RegistryReference, type RemoteAccessOptions } from '@mos/oci-store';
import { storeDir, type Target } from '@mos/manifest';
import { BringupError } from '../errors';

/** The repository target images are published to, on the install manifest's registry. */
export const IMAGE_REPOSITORY = 'mos';

/**
 * Imports target images from the registry an install manifest came from
 * (`<registry>/mos@<digest>`: by digest, so the registry cannot substitute content) into the
 * root's store `R/atomfs-store/mos`, tagged `sha256:<hex>`.
 *
 * First every missing image is looked up (HEAD by digest) and its size compared with the pin,
 * so an absent image or a wrong size fails before anything is written. Then each is copied,
 * every blob verified on the way in; a copy is one store batch, so a blob with wrong bytes
 * leaves nothing visible. If this call created the store (or found one
 * a killed import left without `oci-layout`) and fails, it removes it again.
 */
export async function importTargets(opts: {
  root: string;
  from: RegistryReference;
  targets: Target[];
  registry?: RemoteAccessOptions;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
}): Promise<void> {
  const dir = storeDir(opts.root);
  // `oci-layout` is written last when a layout is created, so a directory without it is one a
  // killed import began (or debris): nothing in it counts, and it is (re)made like a new one.
  const created = !existsSync(join(dir, 'oci-layout'));
  const fail = (t: Target, why: string, cause?: unknown) =>
    new BringupError('ERR_BRINGUP_IMAGE_VERIFY_FAILED', `target "${t.service_name}": cannot import image ${t.digest} from ${opts.from.registry}/${IMAGE_REPOSITORY}: ${why}`, {
      cause,
      details: { target: t.service_name, digest: t.digest },
    });
  const missing = created ? opts.targets : await absentFrom(dir, opts.targets);
  const repo = openRemote({ ...opts.from, repository: IMAGE_REPOSITORY, tag: undefined, digest: undefined }, opts.registry ?? {});
  for (const t of missing) {
    const d = await repo.resolve(t.digest).catch((e) => {
      throw fail(t, (e as Error).message, e);
    });
    if (d.size !== t.size) throw fail(t, `the registry's manifest is ${d.size} bytes, the install manifest pins ${t.size}`);
  }
  try {
    for (const t of missing) {
      const src: RegistryReference = { ...opts.from, repository: IMAGE_REPOSITORY, tag: undefined, digest: t.digest };
      const onProgress = opts.onProgress && ((e: ProgressEvent) => opts.onProgress!({ ...e, target: t.service_name }));
      await copy(src, { transport: 'oci', dir, tag: t.digest }, { ...opts.registry, onProgress }).catch((e) => {
        throw fail(t, (e as Error).message, e);
      });
    }
  } catch (e) {
    if (created) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The targets whose image is not in the store with exactly the pinned digest and size. */
async function absentFrom(dir: string, targets: Target[]): Promise<Target[]> {
  const store = await LayoutStore.open(dir);
  const out: Target[] = [];
  for (const t of targets) {
    const d = await resolveImage(store, t.digest).catch(() => undefined);
    if (!d || d.digest !== t.digest || d.size !== t.size) out.push(t);
  }
  return out;
}
