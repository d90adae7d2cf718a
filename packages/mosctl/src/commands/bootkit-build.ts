import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { bootkitBuild } from '../ops/bootkit';
import { compressOf, jsonOption, kernelOptions } from '../cli/options';

export const bootkitBuildCommand: CommandSpec = {
  words: ['bootkit', 'build'],
  summary: "build the keyset's bootkit image (kernel, initramfs with the keyset's manifest CA, modules) for publish to add",
  args: '--keyset K --kernel DIR [--kver KVER] [--compress zstd|gzip|lz4|none] [--keysets-dir DIR] [--json]',
  positionals: [0, 0],
  options: {
    keyset: { type: 'string', arg: 'K', help: 'the keyset whose manifest CA the initramfs trusts' },
    ...kernelOptions,
    'keysets-dir': { type: 'string', arg: 'DIR', help: 'keysets directory (default $MOS_KEYSETS_DIR or ~/.local/share/machine/trust/keys)' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const r = await bootkitBuild({
      keyset: required(values, 'keyset'),
      kernelDir: required(values, 'kernel'),
      kver: values.kver as string | undefined,
      keysetsDir: values['keysets-dir'] as string | undefined,
      compress: compressOf(values),
    });
    if (values.json) return out(JSON.stringify({ layout: r.layout, tag: r.tag, kver: r.kver, digest: r.image.manifest.digest, initramfs: { size: r.initramfs.size, sha256: r.initramfs.sha256 } }) + '\n');
    out(`built bootkit ${r.image.manifest.digest} for kernel ${r.kver} into oci:${r.layout}:${r.tag}\n`);
  },
};
