import type { CommandSpec } from '@mos/trust/cli';
import { install } from '../ops/install';
import { caOf, caOptions, jsonOption, progressOption, progressSink, registryOf, registryOptions, rootOf, rootOptions } from '../cli/options';

export const installCommand: CommandSpec = {
  words: ['install'],
  summary: 'install a system from a signed install manifest (verified before anything is written)',
  args: '[--rfs R] [--ca F] [registry flags] URL',
  positionals: [1, 1],
  options: { ...rootOptions, ...caOptions, ...registryOptions, ...progressOption, ...jsonOption },
  async run({ values, positionals: [url], out }) {
    const r = await install({ root: rootOf(values), url, manifestCa: caOf(values), ...registryOf(values), onProgress: progressSink(values) });
    if (values.json) return out(JSON.stringify({ root: r.root, commit: r.commit, product: r.product, install: r.sha256, targets: r.system.targets.map((t) => t.name) }) + '\n');
    out(`installed ${r.system.targets.length} target(s) of product ${r.product} into ${r.root} (commit ${r.commit.slice(0, 12)})\n`);
  },
};
