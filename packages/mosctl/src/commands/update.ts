import type { CommandSpec } from '@mos/trust/cli';
import { UsageError } from '@mos/trust/cli';
import { update } from '../ops/update';
import { activateChanges, type ActivationResult } from '../ops/activate-changes';
import { EXIT } from '../cli/exit-codes';
import { caOf, caOptions, jsonOption, progressOption, progressSink, registryOf, registryOptions, rootOf, rootOptions, trialOf, trialOptions } from '../cli/options';
import { renderActivation, renderChanges, renderTrial } from './render-changes';
import { supervisorCommand } from './supervise';

export const updateCommand: CommandSpec = {
  words: ['update'],
  summary: 'apply a newer signed install manifest (complete replaces, partial merges), then restart what changed',
  args: '[-r R] [--ca F] [--check] [--no-activate] [--confirm-timeout D] [--settle D] [--no-auto-rollback] [registry flags] URL',
  positionals: [1, 1],
  options: {
    ...rootOptions,
    ...caOptions,
    check: { type: 'boolean', help: `fetch and verify, print what would change, write nothing (exit 0: an update; ${EXIT.upToDate}: up to date)` },
    'no-activate': { type: 'boolean', help: 'commit only: leave the running services as they are (mosctl boot picks the new state up)' },
    ...registryOptions,
    ...progressOption,
    ...trialOptions,
    ...jsonOption,
  },
  async run({ values, positionals: [url], out }) {
    if (values.check && values['no-activate']) throw new UsageError('--check writes nothing; --no-activate has no meaning with it');
    const root = rootOf(values);
    const r = await update({ root, url, check: values.check === true, manifestCa: caOf(values), ...registryOf(values), onProgress: progressSink(values), trial: trialOf(values) });
    let activation: ActivationResult | undefined;
    if (r.changed && !r.checked && !values['no-activate']) activation = await activateChanges({ root, changes: r.changes, ca: caOf(values), supervisorCommand: supervisorCommand(root) });
    if (values.json) {
      out(JSON.stringify({ root: r.root, changed: r.changed, checked: r.checked, commit: r.commit, previous: r.previous, serial: r.serial, changes: r.changes, activation, pending: r.pending, targets: r.system.targets }) + '\n');
    } else if (!r.changed) {
      out(`${r.root} is up to date (commit ${r.commit.slice(0, 12)})\n`);
    } else {
      const head = r.checked ? `update available for ${r.root} (serial ${r.serial}); it would change:` : `updated ${r.root}: commit ${r.commit.slice(0, 12)} (was ${r.previous.slice(0, 12)}), serial ${r.serial}:`;
      out(`${head}\n${renderChanges(r.changes)}`);
      if (activation) out(renderActivation(activation));
      else if (!r.checked) out('services: not touched (--no-activate)\n');
      if (r.pending) out(renderTrial(r.pending));
    }
    if (r.checked && !r.changed) return EXIT.upToDate;
    return activation?.notRunning.length ? EXIT.error : EXIT.ok;
  },
};
