import type { CommandSpec } from '@mos/trust/cli';
import { UsageError } from '@mos/trust/cli';
import { install } from '../ops/install';
import { installPartition } from '../ops/install-partition';
import { caOf, caOptions, jsonOption, progressOption, progressSink, registryOf, registryOptions, rootOf, rootOptions } from '../cli/options';

export const installCommand: CommandSpec = {
  words: ['install'],
  summary: 'install a system from a signed install manifest (verified before anything is written)',
  args: '[--rfs R | --partition DISK [--wipe]] [--ca F] [registry flags] URL',
  positionals: [1, 1],
  options: {
    ...rootOptions,
    partition: { type: 'string', arg: 'DISK', help: 'lay out DISK (GPT: esp, machine-config, machine-store, machine-scratch), format it and install into it' },
    wipe: { type: 'boolean', help: 'with --partition: erase a disk that has partitions or filesystems' },
    ...caOptions,
    ...registryOptions,
    ...progressOption,
    ...jsonOption,
  },
  async run({ values, positionals: [url], out }) {
    const disk = values.partition as string | undefined;
    if (disk === undefined) {
      if (values.wipe) throw new UsageError('--wipe goes with --partition DISK');
      const r = await install({ root: rootOf(values), url, manifestCa: caOf(values), ...registryOf(values), onProgress: progressSink(values) });
      if (values.json) return out(JSON.stringify({ root: r.root, commit: r.commit, product: r.product, install: r.sha256, targets: r.system.targets.map((t) => t.name) }) + '\n');
      return out(`installed ${r.system.targets.length} target(s) of product ${r.product} into ${r.root} (commit ${r.commit.slice(0, 12)})\n`);
    }
    if (values.rfs !== undefined || values.root !== undefined) throw new UsageError('--partition and --rfs/--root exclude each other (the disk becomes the root)');
    if (disk === '') throw new UsageError('--partition needs a disk');
    const r = await installPartition({
      disk,
      url,
      wipe: values.wipe === true,
      manifestCa: caOf(values),
      ...registryOf(values),
      onProgress: progressSink(values),
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    if (values.json) {
      const { disk: d, partitions, commit, product, sha256, system, bootFiles, warnings } = r;
      return out(JSON.stringify({ disk: d, partitions, commit, product, install: sha256, targets: system.targets.map((t) => t.name), bootFiles, warnings }) + '\n');
    }
    out(`partitioned ${r.disk}: ${r.partitions.map((p) => `${p.name} ${p.device}`).join(', ')}\n`);
    out(`installed ${r.system.targets.length} target(s) of product ${r.product} onto ${r.disk} (commit ${r.commit.slice(0, 12)})\n`);
  },
};
