import { mountMolecule, type MountMoleculeOptions, type MountedMolecule } from '../mount/molecule';
import { resolveImageLayers, type ImageSource } from './image-layers';

export interface MountImageOptions extends Omit<MountMoleculeOptions, 'layers' | 'source'> {
  /** `oci:DIR:TAG`, `oci:DIR@sha256:<hex>`, or `{ layout, tag }` / `{ layout, digest }`. */
  image: ImageSource;
}

/**
 * Mounts an OCI image of squashfs+verity layers at `dest` (see {@link mountMolecule}); the
 * record keeps the reference and manifest digest for `atomfs ls`.
 *
 * @example
 * import { mountImage } from '@mos/atomfs';
 * await mountImage({ image: 'oci:/var/lib/mos/store:base', dest: '/mnt/root', writable: true });
 */
export async function mountImage(opts: MountImageOptions): Promise<MountedMolecule> {
  const img = await resolveImageLayers(opts.image);
  const { image: _image, ...rest } = opts;
  return mountMolecule({ ...rest, layers: img.layers, source: { image: img.ref, manifest: img.manifestDescriptor.digest } });
}
