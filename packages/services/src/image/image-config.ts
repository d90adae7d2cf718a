import { LayoutStore, MediaType, OciStoreError, resolveImage, type ImageConfig, type ImageManifest } from '@mos/oci-store';
import { ServicesError } from '../errors';

/** What a container takes from its image config. */
export interface ContainerImage {
  /** Entrypoint followed by Cmd. */
  command: string[];
  env: string[];
  workingDir?: string;
}

/**
 * Reads the image config of `digest` from the store (`R/atomfs-store/mos`, tag `sha256:<hex>`):
 * the command is Entrypoint + Cmd, and an image without an Entrypoint cannot run as a service
 * (`ERR_SERVICES_NO_ENTRYPOINT`, as in the original). Digests are checked by the store on read.
 *
 * @example
 * import { readContainerImage } from '@mos/services';
 * const img = await readContainerImage('/atomfs-store/mos', 'sha256:…', 'web');
 */
export async function readContainerImage(storeDir: string, digest: string, name: string): Promise<ContainerImage> {
  let config: ImageConfig;
  try {
    const store = await LayoutStore.open(storeDir);
    const desc = await resolveImage(store, digest);
    if (desc.digest !== digest) throw new ServicesError('ERR_SERVICES_IMAGE_INVALID', `tag ${digest} in ${storeDir} points at ${desc.digest}`, { target: name });
    const manifest = await store.fetchJson<ImageManifest>(desc);
    if (manifest.config?.mediaType !== MediaType.ImageConfig) {
      throw new ServicesError('ERR_SERVICES_IMAGE_INVALID', `image of ${name} has config type ${manifest.config?.mediaType}, not ${MediaType.ImageConfig}`, { target: name });
    }
    config = await store.fetchJson<ImageConfig>(manifest.config);
  } catch (e) {
    if (e instanceof ServicesError) throw e;
    if (e instanceof OciStoreError && /NOT_FOUND|INVALID_LAYOUT/.test(e.code)) {
      throw new ServicesError('ERR_SERVICES_IMAGE_NOT_FOUND', `the image of ${name} (${digest}) is not in ${storeDir}: ${e.message}; install or update the system first`, { target: name, digest }, { cause: e });
    }
    throw e;
  }
  const entrypoint = config.config?.Entrypoint ?? [];
  if (!entrypoint.length || !entrypoint[0]) {
    throw new ServicesError('ERR_SERVICES_NO_ENTRYPOINT', `no entrypoint defined for ${name}: its image config has no Entrypoint, so there is nothing to run; rebuild the image with one`, { target: name, digest });
  }
  const all = [...entrypoint, ...(config.config?.Cmd ?? [])];
  if (all.some((a) => typeof a !== 'string')) throw new ServicesError('ERR_SERVICES_IMAGE_INVALID', `image of ${name}: Entrypoint/Cmd must be strings`, { target: name });
  return { command: all, env: config.config?.Env ?? [], workingDir: config.config?.WorkingDir || undefined };
}
