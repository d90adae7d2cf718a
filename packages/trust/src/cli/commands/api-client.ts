import { addApiClient, listApiClients } from '../../api/api-client';
import { API_ROLES, isApiRole } from '../../api/roles';
import type { CommandSpec } from '../kit';
import { required, UsageError } from '../kit';
import { dir, dirOpt } from './keyset';

export const apiClientCommands: CommandSpec[] = [
  {
    words: ['api-client', 'add'],
    summary: "issue an API client certificate under the keyset's API CA, with its role (reader, operator, admin)",
    args: '--keyset K --role ROLE [--days N] NAME',
    positionals: [1, 1],
    options: {
      ...dirOpt,
      keyset: { type: 'string', arg: 'K', help: 'the keyset whose api-ca issues it' },
      role: { type: 'string', arg: 'ROLE', help: `${API_ROLES.join(', ')}: what the client may do` },
      days: { type: 'string', arg: 'N', help: 'validity in days (default 365, at most 3650)' },
    },
    async run({ values, positionals, out }) {
      const role = required(values, 'role');
      if (!isApiRole(role)) throw new UsageError(`--role ${JSON.stringify(role)} is not one of ${API_ROLES.join(', ')}`);
      const daysText = values.days as string | undefined;
      if (daysText !== undefined && !/^\d{1,4}$/.test(daysText)) throw new UsageError(`--days ${JSON.stringify(daysText)} is not a number of days`);
      const days = daysText === undefined ? undefined : Number(daysText);
      if (days !== undefined && (days < 1 || days > 3650)) throw new UsageError(`--days ${days}: use 1 to 3650`);
      const c = await addApiClient({ keyset: required(values, 'keyset'), role, name: positionals[0], days, dir: dir(values) });
      out(`issued API client ${c.name} (role ${c.role}, valid until ${c.notAfter.toISOString()}) in ${c.dir}\n`);
    },
  },
  {
    words: ['api-client', 'list'],
    summary: 'list the API clients of a keyset: name, role, expiry',
    args: '--keyset K',
    positionals: [0, 0],
    options: { ...dirOpt, keyset: { type: 'string', arg: 'K', help: 'the keyset' } },
    async run({ values, out }) {
      for (const c of await listApiClients({ keyset: required(values, 'keyset'), dir: dir(values) })) out(`${c.name}\t${c.role ?? '(no role)'}\t${c.notAfter.toISOString()}\n`);
    },
  },
];
