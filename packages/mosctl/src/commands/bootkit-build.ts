import type { CommandSpec } from '@mos/trust/cli';
import { required, UsageError } from '@mos/trust/cli';
import { INITRD_COMPRESSIONS, type InitrdCompression } from '@mos/bringup';
import { bootkitBuild } from '../ops/bootkit';
import { jsonOption } from '../cli/options';

export const bootkitBuildCommand: CommandSpec = {
  words: ['bootkit', 'build'],
  summary: "build the keyset's bootkit image (kernel, initramfs with the keyset's manifest CA, modules) for publish to add",
  args: '--keyset K --kernel DIR [--kver KVER] [--compress zstd|gzip|lz4|none] [--keysets-dir DIR] [--json]',
  positionals: [0, 0],
  options: {
    keyset: { type: 'string', arg: 'K', help: 'the keyset whose manifest CA the initramfs trusts' },
    kernel: { type: 'string', arg: 'DIR', help: 'kernel tree: an unpacked linux-image .deb (dpkg -x) or /' },
    kver: { type: 'string', arg: 'KVER', help: 'kernel version (default: the only one under DIR/lib/modules)' },
    compress: { type: 'string', arg: 'KIND', help: `initramfs compression: ${INITRD_COMPRESSIONS.join(', ')} (default zstd)` },
    'keysets-dir': { type: 'string', arg: 'DIR', help: 'keysets directory (default $MOS_KEYSETS_DIR or ~/.local/share/machine/trust/keys)' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const compress = values.compress as string | undefined;
    if (compress !== undefined && !(INITRD_COMPRESSIONS as readonly string[]).includes(compress))
      throw new UsageError(`--compress must be one of ${INITRD_COMPRESSIONS.join(', ')}, not "${compress}"`);
    const r = await bootkitBuild({
      keyset: required(values, 'keyset'),
      kernelDir: required(values, 'kernel'),
      kver: values.kver as string | undefined,
      keysetsDir: values['keysets-dir'] as string | undefined,
      compress: compress as InitrdCompression | undefined,
    });
    if (values.json) return out(JSON.stringify({ layout: r.layout, tag: r.tag, kver: r.kver, digest: r.image.manifest.digest, initramfs: { size: r.initramfs.size, sha256: r.initramfs.sha256 } }) + '\n');
    out(`built bootkit ${r.image.manifest.digest} for kernel ${r.kver} into oci:${r.layout}:${r.tag}\n`);
  },
};
