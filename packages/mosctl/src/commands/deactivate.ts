import { deactivate } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { jsonOption, rootOf, rootOptions } from '../cli/options';

export const deactivateCommand: CommandSpec = {
  words: ['deactivate'],
  summary: 'stop a target: service stopped, port forwards removed, address released, root unmounted',
  args: '-t NAME [--rfs R] [--json]',
  positionals: [0, 0],
  options: { target: { type: 'string', short: 't', arg: 'NAME', help: 'the target to deactivate' }, ...rootOptions, ...jsonOption },
  async run({ values, out }) {
    const r = await deactivate({ root: rootOf(values), name: required(values, 'target') });
    if (values.json) return out(JSON.stringify(r) + '\n');
    out(r.was === null ? `${r.name} was not active\n` : `${r.name} deactivated (was ${r.was})\n`);
  },
};
