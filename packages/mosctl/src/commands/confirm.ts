import type { CommandSpec } from '@mos/trust/cli';
import { confirm } from '../ops/confirm';
import { jsonOption, rootOf, rootOptions } from '../cli/options';

export const confirmCommand: CommandSpec = {
  words: ['confirm'],
  summary: 'confirm the pending state by hand: no automatic rollback will leave it',
  args: '[-r R] [--json]',
  positionals: [0, 0],
  options: { ...rootOptions, ...jsonOption },
  async run({ values, out }) {
    const r = await confirm({ root: rootOf(values), by: 'hand' });
    if (values.json) out(JSON.stringify({ root: r.root, commit: r.commit, confirmed: r.confirmed, pending: r.pending }) + '\n');
    else out(r.confirmed ? `confirmed ${r.commit.slice(0, 12)} (it was pending since ${r.pending!.since})\n` : `nothing is pending on ${r.root}: ${r.commit.slice(0, 12)} is confirmed\n`);
  },
};
