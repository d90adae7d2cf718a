import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildImage, type BuiltImage } from '@mos/atomfs';
import { BringupError } from '../errors';
import { buildInitramfs, type BuildInitramfsOptions, type BuildInitramfsResult } from '../initrd/build-initramfs';
import { findKernel } from '../initrd/kernel-tree';
import { realInitrdSys, type InitrdSys } from '../sys';

/** The tag the bootkit image gets in its layout (mos-original §2.10). */
export const BOOTKIT_TAG = 'bootkit-squashfs';

/**
 * The files of the bootkit image, all under `/bootkit/`. The boot loader files go to the ESP at
 * install (`ESP_FILES`); `modules.squashfs` stays in the image, for the running system to mount
 * at `/lib/modules`. The signed UKI (`kernel.efi`) and `shim.efi` join these in the Secure Boot
 * work; the ESP list already names them.
 */
export const BOOTKIT_FILES = { kernel: 'vmlinuz', initrd: 'initrd.img', modules: 'modules.squashfs' } as const;

/** What `install --partition` copies from the bootkit to the ESP's `EFI/BOOT`, when present. */
export const ESP_FILES: readonly string[] = ['shim.efi', 'kernel.efi', BOOTKIT_FILES.kernel, BOOTKIT_FILES.initrd];

export interface BuildBootkitOptions extends Pick<BuildInitramfsOptions, 'kernelDir' | 'kver' | 'ca' | 'compress' | 'bundle' | 'extraModules'> {
  /** OCI layout that receives the image (created if missing). */
  layout: string;
  /** Default {@link BOOTKIT_TAG}. */
  tag?: string;
  sys?: InitrdSys;
}

export interface BuiltBootkit {
  image: BuiltImage;
  initramfs: BuildInitramfsResult;
  kver: string;
  tag: string;
}

/**
 * Builds the `bootkit` image: an fs-only target holding `/bootkit/vmlinuz` (the kernel),
 * `/bootkit/initrd.img` (the mos initramfs with `ca` as the only manifest CA a boot trusts) and
 * `/bootkit/modules.squashfs` (the kernel's modules), as one squashfs+verity layer tagged in
 * `layout`. The initramfs and `modules.squashfs` are reproducible; the image digest is not yet
 * (atomfs writes a random verity salt per layer).
 *
 * @example
 * import { buildBootkit } from '@mos/bringup';
 * await buildBootkit({ kernelDir: '/var/cache/mos/kernel', ca: 'keys/k/manifest-ca/cert.pem', layout: 'keys/k/bootkit/oci' });
 */
export async function buildBootkit(opts: BuildBootkitOptions): Promise<BuiltBootkit> {
  const sys = opts.sys ?? realInitrdSys;
  const kernel = await findKernel(opts.kernelDir, opts.kver);
  const vmlinuz = join(opts.kernelDir, 'boot', `vmlinuz-${kernel.kver}`);
  if (!existsSync(vmlinuz)) {
    throw new BringupError('ERR_BRINGUP_KERNEL_NOT_FOUND', `${vmlinuz} does not exist: the kernel tree has modules for ${kernel.kver} but no kernel image`, { details: { vmlinuz } });
  }
  const layout = resolve(opts.layout);
  mkdirSync(dirname(layout), { recursive: true });
  // Staged beside the layout: the same file system, and not a tmpfs (the files are large).
  const stage = mkdtempSync(join(dirname(layout), '.bootkit-'));
  try {
    const dir = join(stage, 'bootkit');
    mkdirSync(dir);
    copyFileSync(vmlinuz, join(dir, BOOTKIT_FILES.kernel));
    const initramfs = await buildInitramfs({ ...opts, kver: kernel.kver, out: join(dir, BOOTKIT_FILES.initrd), sys });
    await sys.run('mksquashfs', [
      kernel.modulesDir, join(dir, BOOTKIT_FILES.modules),
      '-noappend', '-comp', 'zstd', '-all-root', '-mkfs-time', '0', '-all-time', '0', '-no-progress', '-quiet',
    ]);
    const tag = opts.tag ?? BOOTKIT_TAG;
    const image = await buildImage({ layout, tag, sources: [stage] });
    return { image, initramfs, kver: kernel.kver, tag };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
