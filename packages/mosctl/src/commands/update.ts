import type { CommandSpec, RunContext } from '@mos/trust/cli';
import { UsageError } from '@mos/trust/cli';
import type { UpdateResult } from '../ops/update';
import { updateAndActivate, type Changed } from '../ops/state-changes';
import { EXIT } from '../cli/exit-codes';
import { caOf, caOptions, jsonOption, progressOption, progressSink, registryOf, registryOptions, rootOf, rootOptions, trialOf, trialOptions } from '../cli/options';
import { renderActivation, renderChanges, renderTrial } from './render-changes';
import { supervisorCommand } from './supervise';

const activateOption = {
  'no-activate': { type: 'boolean', help: 'commit only: leave the running services as they are (mosctl boot picks the new state up)' },
} as const;

export const updateCommand: CommandSpec = {
  words: ['update'],
  summary: 'apply a newer signed install manifest (from URL, or from the source the root follows), then restart what changed',
  args: '[-r R] [--ca F] [--check | --download-only | --apply] [--no-activate] [--confirm-timeout D] [--settle D] [--no-auto-rollback] [registry flags] [URL]',
  positionals: [0, 1],
  options: {
    ...rootOptions,
    ...caOptions,
    check: { type: 'boolean', help: `fetch and verify, print what would change, write nothing (exit 0: an update; ${EXIT.upToDate}: up to date)` },
    'download-only': { type: 'boolean', help: 'fetch, verify and import, then stage the update without making it current (status shows it; --apply applies it)' },
    apply: { type: 'boolean', help: 'make the staged update current, verifying it again (no URL)' },
    ...activateOption,
    ...registryOptions,
    ...progressOption,
    ...trialOptions,
    ...jsonOption,
  },
  async run(ctx) {
    const { values, positionals } = ctx;
    const modes = (['check', 'download-only', 'apply'] as const).filter((m) => values[m]);
    if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} do different things: give one of them`);
    if (values.apply && positionals.length) throw new UsageError('--apply applies what is staged: give no URL (mosctl update --download-only URL stages one)');
    if ((values.check || values['download-only']) && values['no-activate']) throw new UsageError(`--${modes[0]} makes nothing current; --no-activate has no meaning with it`);
    const common = { root: rootOf(values), manifestCa: caOf(values), trial: trialOf(values), activate: values['no-activate'] !== true, supervisorCommand };
    const r = values.apply
      ? await updateAndActivate({ ...common, apply: true })
      : await updateAndActivate({ ...common, url: positionals[0], check: values.check === true, downloadOnly: values['download-only'] === true, ...registryOf(values), onProgress: progressSink(values) });
    return printUpdate(ctx, r);
  },
};

export const switchCommand: CommandSpec = {
  words: ['switch'],
  summary: 'update from another reference and follow it from now on (mosctl update without a URL fetches it)',
  args: '[-r R] [--ca F] [--no-activate] [--confirm-timeout D] [--settle D] [--no-auto-rollback] [registry flags] URL',
  positionals: [1, 1],
  options: { ...rootOptions, ...caOptions, ...activateOption, ...registryOptions, ...progressOption, ...trialOptions, ...jsonOption },
  async run(ctx) {
    const { values, positionals } = ctx;
    const root = rootOf(values);
    const r = await updateAndActivate({ root, url: positionals[0], setSource: true, manifestCa: caOf(values), trial: trialOf(values), activate: values['no-activate'] !== true, supervisorCommand, ...registryOf(values), onProgress: progressSink(values) });
    if (!values.json) ctx.out(`source of ${root}: ${r.result.url} (mosctl update without a URL fetches it)\n`);
    return printUpdate(ctx, r);
  },
};

/** Prints what an update did (text or its JSON document); the exit status. */
function printUpdate({ values, out }: RunContext, { result: r, activation, document }: Changed<UpdateResult & { appliedAs?: string }>): number {
  const root = r.root;
  if (values.json) {
    out(JSON.stringify(document) + '\n');
  } else if (!r.changed && r.appliedAs) {
    out(`the staged update (serial ${r.serial}) is applied already: commit ${r.appliedAs.slice(0, 12)}; ${root} is at ${r.commit.slice(0, 12)}\n`);
  } else if (!r.changed) {
    out(`${root} is up to date (commit ${r.commit.slice(0, 12)})\n`);
  } else {
    const head = r.checked
      ? `update available for ${root} (serial ${r.serial}); it would change:`
      : r.staged
        ? `staged an update of ${root} (serial ${r.serial}) from ${r.url}; mosctl update --apply makes it current. It will change:`
        : `updated ${root}: commit ${r.commit.slice(0, 12)} (was ${r.previous.slice(0, 12)}), serial ${r.serial}:`;
    out(`${head}\n${renderChanges(r.changes)}`);
    if (activation) out(renderActivation(activation));
    else if (!r.checked && !r.staged) out('services: not touched (--no-activate)\n');
    if (r.pending) out(renderTrial(r.pending));
  }
  if (r.checked && !r.changed) return EXIT.upToDate;
  return activation?.notRunning.length ? EXIT.error : EXIT.ok;
}
