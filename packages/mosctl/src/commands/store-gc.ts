import type { CommandSpec } from '@mos/trust/cli';
import { gcDir } from '@mos/oci-store';
import { jsonOption } from '../cli/options';

const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** `mosctl store gc DIR [--dry-run]`: remove blobs no index.json root reaches (umoci's rule). */
export const storeGcCommand: CommandSpec = {
  words: ['store', 'gc'],
  summary: 'remove blobs unreachable from index.json (same surviving set as umoci gc); waits for running imports',
  args: '[--dry-run] [--json] DIR',
  positionals: [1, 1],
  options: { ...jsonOption, 'dry-run': { type: 'boolean', help: 'list what would be removed, remove nothing' } },
  async run({ values, positionals: [dir], out }) {
    const results = await gcDir(dir, { dryRun: values['dry-run'] === true });
    if (values.json) return out(JSON.stringify({ dir, layouts: results }) + '\n');
    for (const r of results) {
      out(`${r.name}: ${r.dryRun ? 'would remove' : 'removed'} ${r.removed.length} blob(s), ${mib(r.freedBytes)}; ${r.kept} kept\n`);
      if (r.dryRun) for (const d of r.removed) out(`  ${d}\n`);
    }
  },
};
