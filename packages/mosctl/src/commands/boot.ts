import { boot, bootSystemd, formatServiceTable } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { EXIT } from '../cli/exit-codes';
import { caOf, caOptions, jsonOption, rootOf, rootOptions } from '../cli/options';
import { supervisorCommand } from './supervise';
import { recordBootFallback } from '../ops/boot-fallback';

export const bootCommand: CommandSpec = {
  words: ['boot'],
  summary: 'start the installed system: re-verify, prepare storage, activate every target but hostfs/bootkit (exit 1 if one does not run)',
  args: '[--rfs R] [--ca F] [--systemd] [--json]',
  positionals: [0, 0],
  options: {
    ...rootOptions,
    ...caOptions,
    systemd: { type: 'boolean', help: 'hand the containers to systemd units (Restart=on-failure) instead of the mos supervisor' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const root = rootOf(values);
    // When bringup fell back to the previous state, services start from that state, recorded as a rollback first.
    const fellBack = await recordBootFallback({ root, ca: caOf(values) });
    if (fellBack && !values.json) out(`the boot fell back to ${fellBack.target.slice(0, 12)}: recorded as rollback ${fellBack.commit.slice(0, 12)}\n`);
    if (values.systemd) {
      const r = await bootSystemd({ root, ca: caOf(values) });
      if (values.json) return out(JSON.stringify(r, null, 2) + '\n');
      for (const t of r.targets) out(`${t.name}: ${t.unit ? `started by systemd (${t.unit})` : 'mounted'}\n`);
      return;
    }
    const r = await boot({ root, ca: caOf(values), supervisorCommand: supervisorCommand(root) });
    if (values.json) out(JSON.stringify(r, null, 2) + '\n');
    else {
      for (const v of r.volumes) out(`volume ${v.label}: ${v.action}\n`);
      for (const n of r.removed) out(`${n}: stopped (no longer in the system)\n`);
      out(formatServiceTable(r.services));
    }
    return r.notRunning.length ? EXIT.error : EXIT.ok;
  },
};
