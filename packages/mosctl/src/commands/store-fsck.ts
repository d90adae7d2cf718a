import type { CommandSpec } from '@mos/trust/cli';
import { CorruptLayoutError, fsckDir } from '@mos/oci-store';
import { jsonOption } from '../cli/options';

/** `mosctl store fsck DIR [--repair]`: verify every blob and reference; exit 3 on problems. */
export const storeFsckCommand: CommandSpec = {
  words: ['store', 'fsck'],
  summary: 'check an OCI layout (or every repository of a store root): blob content, references; --repair removes corrupt blobs',
  args: '[--repair] [--json] DIR',
  positionals: [1, 1],
  options: { ...jsonOption, repair: { type: 'boolean', help: 'remove corrupt blobs (copy the image again to restore them)' } },
  async run({ values, positionals: [dir], out }) {
    const reports = await fsckDir(dir, { repair: values.repair === true });
    if (values.json) out(JSON.stringify({ dir, ok: reports.every((r) => r.ok), layouts: reports }) + '\n');
    else {
      for (const r of reports) {
        out(`${r.name}: ${r.blobs} blobs, ${r.problems.length} problem(s)${r.repaired.length ? `, ${r.repaired.length} removed` : ''}\n`);
        for (const p of r.problems) out(`  ${p.kind}\t${p.digest ?? p.path ?? ''}\t${p.message}\n`);
      }
    }
    const bad = reports.reduce((n, r) => n + r.problems.length, 0);
    if (bad) throw new CorruptLayoutError(`${bad} problem(s) in ${dir}`, { dir, problems: bad });
  },
};
