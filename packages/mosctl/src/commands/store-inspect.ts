import type { CommandSpec } from '@mos/trust/cli';
import { inspect } from '@mos/oci-store';
import { jsonOption, registryOf, registryOptions } from '../cli/options';

/** `mosctl store inspect REF`: manifest, config summary and referrers of an image. */
export const storeInspectCommand: CommandSpec = {
  words: ['store', 'inspect'],
  summary: 'show the manifest, config and referrers of an image (oci:DIR:TAG or docker://HOST/NAME:TAG)',
  args: '[--raw] [registry flags] REF',
  positionals: [1, 1],
  options: { ...registryOptions, ...jsonOption, raw: { type: 'boolean', help: 'print the exact manifest bytes' } },
  async run({ values, positionals: [ref], out }) {
    const r = await inspect(ref, registryOf(values));
    if (values.raw) return out(r.raw.toString('utf8'));
    if (values.json) {
      const { raw: _raw, ...rest } = r;
      return out(JSON.stringify(rest) + '\n');
    }
    const lines = [`${r.reference}`, `  digest     ${r.descriptor.digest}`, `  mediaType  ${r.descriptor.mediaType}`, `  size       ${r.descriptor.size}`];
    if (r.manifest?.artifactType) lines.push(`  artifact   ${r.manifest.artifactType}`);
    if (r.config) {
      lines.push(`  platform   ${r.config.os ?? '?'}/${r.config.architecture ?? '?'}`);
      const cmd = [...(r.config.config?.Entrypoint ?? []), ...(r.config.config?.Cmd ?? [])];
      if (cmd.length) lines.push(`  command    ${cmd.join(' ')}`);
    }
    for (const l of r.manifest?.layers ?? []) lines.push(`  layer      ${l.digest} ${l.size} ${l.mediaType}`);
    for (const m of r.index?.manifests ?? []) lines.push(`  manifest   ${m.digest} ${m.platform ? `${m.platform.os}/${m.platform.architecture}` : ''}`);
    for (const x of r.referrers) lines.push(`  referrer   ${x.digest} ${x.artifactType ?? ''}`);
    out(lines.join('\n') + '\n');
  },
};
