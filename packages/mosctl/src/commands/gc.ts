import type { CommandSpec } from '@mos/trust/cli';
import { MosctlError } from '../errors';
import { gc } from '../ops/gc';
import { jsonOption, rootOf, rootOptions } from '../cli/options';

const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

export const gcCommand: CommandSpec = {
  words: ['gc'],
  summary: 'remove images no recent state names (the current one and --keep before it), and leftovers of killed imports',
  args: '[-r R] [--keep N] [--dry-run] [--json]',
  positionals: [0, 0],
  options: {
    ...rootOptions,
    keep: { type: 'string', arg: 'N', help: 'states before the current one whose images stay, so a rollback works (default 1)' },
    'dry-run': { type: 'boolean', help: 'list what would be removed and the space it frees, remove nothing' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const keep = values.keep === undefined ? undefined : /^\d{1,6}$/.test(String(values.keep)) ? Number(values.keep) : NaN;
    if (Number.isNaN(keep)) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--keep ${JSON.stringify(values.keep)} must be a whole number of states`);
    const r = await gc({ root: rootOf(values), keep, dryRun: values['dry-run'] === true });
    if (values.json) return out(JSON.stringify(r) + '\n');
    const verb = r.dryRun ? 'would remove' : 'removed';
    out(`${verb} ${r.removedImages.length} image(s), ${r.removedBlobs} blob(s), ${mib(r.freedBytes)}; kept the images of ${r.keptStates.length} state(s)${r.staleUploads ? `; ${r.staleUploads} stale upload(s)` : ''}\n`);
    for (const d of r.removedImages) out(`  ${d}\n`);
  },
};
