import { addProject, listProjects } from '../../keyset/project';
import { addSudi, listSudis } from '../../keyset/sudi';
import type { CommandSpec } from '../kit';
import { dir, dirOpt } from './keyset';

export const projectCommands: CommandSpec[] = [
  {
    words: ['project', 'add'],
    summary: 'create a project (product): uuid, manifest signing key and certificate',
    args: 'KEYSET PROJECT',
    positionals: [2, 2],
    options: dirOpt,
    async run({ values, positionals: [keyset, project], out }) {
      const path = await addProject({ keyset, project, dir: dir(values) });
      out(`created project ${project} in ${path}\n`);
    },
  },
  {
    words: ['project', 'list'],
    summary: 'list the projects of a keyset, one per line',
    args: 'KEYSET',
    positionals: [1, 1],
    options: dirOpt,
    async run({ values, positionals: [keyset], out }) {
      for (const p of await listProjects({ keyset, dir: dir(values) })) out(`${p}\n`);
    },
  },
  {
    words: ['sudi', 'add'],
    summary: 'create a SUDI (machine identity) certificate for a project; the serial defaults to a random uuid',
    args: 'KEYSET PROJECT [SERIAL]',
    positionals: [2, 3],
    options: dirOpt,
    async run({ values, positionals: [keyset, project, serial], out }) {
      out(`${await addSudi({ keyset, project, serial, dir: dir(values) })}\n`);
    },
  },
  {
    words: ['sudi', 'list'],
    summary: 'list the SUDI serials of a project, one per line',
    args: 'KEYSET PROJECT',
    positionals: [2, 2],
    options: dirOpt,
    async run({ values, positionals: [keyset, project], out }) {
      for (const s of await listSudis({ keyset, project, dir: dir(values) })) out(`${s}\n`);
    },
  },
];
