import type { CommandSpec } from '@mos/trust/cli';
import { update } from '../ops/update';
import { caOf, caOptions, jsonOption, progressOption, progressSink, registryOf, registryOptions, rootOf, rootOptions } from '../cli/options';

export const updateCommand: CommandSpec = {
  words: ['update'],
  summary: 'apply a newer signed install manifest (complete replaces, partial merges); services are not restarted',
  args: '[-r R] [--ca F] [registry flags] URL',
  positionals: [1, 1],
  options: { ...rootOptions, ...caOptions, ...registryOptions, ...progressOption, ...jsonOption },
  async run({ values, positionals: [url], out }) {
    const r = await update({ root: rootOf(values), url, manifestCa: caOf(values), ...registryOf(values), onProgress: progressSink(values) });
    if (values.json) return out(JSON.stringify({ root: r.root, changed: r.changed, commit: r.commit, previous: r.previous, targets: r.system.targets }) + '\n');
    out(r.changed ? `updated ${r.root}: commit ${r.commit.slice(0, 12)} (was ${r.previous.slice(0, 12)}); targets ${r.system.targets.map((t) => t.name).join(', ')}\n` : `${r.root} is up to date (commit ${r.commit.slice(0, 12)})\n`);
  },
};
