import { join } from 'node:path';
import { buildBootkit, BOOTKIT_TAG, type BuiltBootkit, type InitrdCompression } from '@mos/bringup';
import { keysetDir } from '@mos/trust';

/** Where a keyset keeps its bootkit image (mos-original §2.10: `<keyset>/bootkit/oci`). */
export const bootkitLayout = (keyset: string, keysetsDir?: string) => join(keysetDir({ keyset, dir: keysetsDir }), 'bootkit', 'oci');

/**
 * `mosb bootkit build`: the keyset's bootkit image, with the keyset's manifest CA in its
 * initramfs, into `<keyset>/bootkit/oci` tagged `bootkit-squashfs`, where `mosb manifest
 * publish` finds it.
 *
 * @example
 * import { bootkitBuild } from '@mos/mosctl';
 * await bootkitBuild({ keyset: 'demo', kernelDir: '/var/cache/mos/kernel/current' });
 */
export async function bootkitBuild(opts: {
  keyset: string;
  kernelDir: string;
  kver?: string;
  keysetsDir?: string;
  compress?: InitrdCompression;
}): Promise<BuiltBootkit & { layout: string }> {
  const dir = keysetDir({ keyset: opts.keyset, dir: opts.keysetsDir });
  const layout = bootkitLayout(opts.keyset, opts.keysetsDir);
  const built = await buildBootkit({
    kernelDir: opts.kernelDir,
    kver: opts.kver,
    ca: join(dir, 'manifest-ca', 'cert.pem'),
    compress: opts.compress,
    layout,
    tag: BOOTKIT_TAG,
  });
  return { ...built, layout };
}
