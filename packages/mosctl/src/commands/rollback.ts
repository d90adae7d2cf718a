import type { CommandSpec } from '@mos/trust/cli';
import { rollbackAndActivate } from '../ops/state-changes';
import { EXIT } from '../cli/exit-codes';
import { caOf, caOptions, jsonOption, rootOf, rootOptions, trialOf, trialOptions } from '../cli/options';
import { renderActivation, renderChanges, renderTrial } from './render-changes';
import { supervisorCommand } from './supervise';

export const rollbackCommand: CommandSpec = {
  words: ['rollback'],
  summary: 'make an earlier state current again (re-verified, as a new commit), then restart what changed',
  args: '[-r R] [--ca F] [--to COMMIT] [--reason TEXT] [--no-activate] [--confirm-timeout D] [--settle D] [--no-auto-rollback] [--json]',
  positionals: [0, 0],
  options: {
    ...rootOptions,
    ...caOptions,
    to: { type: 'string', arg: 'COMMIT', help: 'the state to go to (a commit id or prefix from mosctl status); default: the previous state, so a second rollback undoes the first' },
    reason: { type: 'string', arg: 'TEXT', help: 'why, for the commit message (default "by hand")' },
    'no-activate': { type: 'boolean', help: 'commit only: leave the running services as they are' },
    ...trialOptions,
    ...jsonOption,
  },
  async run({ values, out }) {
    const root = rootOf(values);
    const { result: r, activation, document } = await rollbackAndActivate({
      root,
      to: values.to as string | undefined,
      reason: values.reason as string | undefined,
      manifestCa: caOf(values),
      trial: trialOf(values),
      activate: values['no-activate'] !== true,
      supervisorCommand,
    });
    if (values.json) {
      out(JSON.stringify(document) + '\n');
    } else if (!r.changed) {
      out(`${r.root} already runs the state of ${r.target.slice(0, 12)} (commit ${r.commit.slice(0, 12)}): nothing to roll back\n`);
    } else {
      out(`rolled back ${r.root} to the state of ${r.target.slice(0, 12)}: commit ${r.commit.slice(0, 12)} (was ${r.previous.slice(0, 12)}):\n${renderChanges(r.changes)}`);
      out(activation ? renderActivation(activation) : 'services: not touched (--no-activate)\n');
      if (r.pending) out(renderTrial(r.pending));
    }
    return activation?.notRunning.length ? EXIT.error : EXIT.ok;
  },
};
