import { activate } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { caOf, caOptions, jsonOption, rootOf, rootOptions } from '../cli/options';
import { supervisorCommand } from './supervise';

export const activateCommand: CommandSpec = {
  words: ['activate'],
  summary: 'start (container) or mount (fs-only) one target of the installed system; the same version again is a no-op',
  args: '-t NAME [--rfs R] [--ca F] [--json]',
  positionals: [0, 0],
  options: { target: { type: 'string', short: 't', arg: 'NAME', help: 'the target to activate' }, ...rootOptions, ...caOptions, ...jsonOption },
  async run({ values, out }) {
    const root = rootOf(values);
    const s = await activate({ root, name: required(values, 'target'), ca: caOf(values), supervisorCommand: supervisorCommand(root) });
    if (values.json) return out(JSON.stringify(s, null, 2) + '\n');
    const where = s.type === 'fs-only' ? ` at ${root.replace(/\/$/, '')}/mnt/atom/${s.name}` : s.pid ? ` (pid ${s.pid})` : '';
    out(`${s.name} ${s.version}: ${s.state}${where}\n`);
  },
};
