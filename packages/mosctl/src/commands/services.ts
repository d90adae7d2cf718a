import { formatServiceTable, serviceStatus } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { jsonOption, rootOf, rootOptions } from '../cli/options';

export const servicesCommand: CommandSpec = {
  words: ['services'],
  summary: 'show each service: state, pid, restarts, last exit, since, address, forwarded ports, health',
  args: '[--rfs R] [--json]',
  positionals: [0, 0],
  options: { ...rootOptions, ...jsonOption },
  async run({ values, out }) {
    const s = serviceStatus({ root: rootOf(values) });
    if (values.json) return out(JSON.stringify(s, null, 2) + '\n');
    const sup = s.supervisor.running ? `supervisor pid ${s.supervisor.pid}${s.supervisor.booted ? '' : ' (not booted)'}` : `no supervisor is running${s.stale ? ' (last record below is stale)' : ''}`;
    out(`${sup}\n${formatServiceTable(s.services)}`);
  },
};
