import type { CommandSpec } from '@mos/trust/cli';
import { copy } from '@mos/oci-store';
import { jsonOption, progressOption, progressSink, registryOf, registryOptions } from '../cli/options';

const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** `mosctl store copy SRC DST`: like `skopeo copy`, verified, between `oci:DIR:TAG` and `docker://…`. */
export const storeCopyCommand: CommandSpec = {
  words: ['store', 'copy'],
  summary: 'copy an image between OCI layouts (oci:DIR:TAG) and registries (docker://HOST/NAME:TAG), verified',
  args: '[--referrers] [--verify-existing] [registry flags] SRC DST',
  positionals: [2, 2],
  options: {
    ...registryOptions,
    ...progressOption,
    ...jsonOption,
    referrers: { type: 'boolean', help: 'also copy the referrers (signatures, certificates) of the image' },
    'verify-existing': { type: 'boolean', help: 're-hash blobs the destination layout has; fetch corrupt ones again' },
  },
  async run({ values, positionals: [src, dst], out }) {
    const r = await copy(src, dst, {
      ...registryOf(values),
      referrers: values.referrers === true,
      verifyExisting: values['verify-existing'] === true,
      onProgress: progressSink(values),
    });
    if (values.json) {
      return out(JSON.stringify({
        source: r.source, destination: r.destination, digest: r.manifest.digest, mediaType: r.manifest.mediaType, size: r.manifest.size,
        copied: r.copied, skipped: r.skipped, bytes: r.bytes, referrers: r.referrers.map((d) => d.digest),
      }) + '\n');
    }
    out(`copied ${r.source} -> ${r.destination}\n  ${r.manifest.digest}: ${r.copied} copied, ${r.skipped} already present, ${mib(r.bytes)}` +
      `${r.referrers.length ? `, ${r.referrers.length} referrer(s)` : ''}\n`);
  },
};
