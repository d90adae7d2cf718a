import type { CommandSpec } from '@mos/trust/cli';
import { list } from '@mos/oci-store';
import { jsonOption, registryOf, registryOptions } from '../cli/options';

/** `mosctl store ls REF`: a layout's entries or a registry repository's tags. */
export const storeLsCommand: CommandSpec = {
  words: ['store', 'ls'],
  summary: 'list the images of a layout (oci:DIR) or the tags of a registry repository (docker://HOST/NAME)',
  args: '[registry flags] REF',
  positionals: [1, 1],
  options: { ...registryOptions, ...jsonOption },
  async run({ values, positionals: [ref], out }) {
    const r = await list(ref, registryOf(values));
    if (values.json) return out(JSON.stringify(r) + '\n');
    for (const i of r.images) {
      out(i.descriptor ? `${i.tag ?? '<untagged>'}\t${i.descriptor.digest}\t${i.descriptor.mediaType}\t${i.descriptor.size}\n` : `${i.tag}\n`);
    }
  },
};
