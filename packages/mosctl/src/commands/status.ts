import type { CommandSpec } from '@mos/trust/cli';
import { status, type StatusReport } from '../ops/status';
import { EXIT } from '../cli/exit-codes';
import { formatServiceTable } from '@mos/services';
import { caOf, caOptions, jsonOption, rootOf, rootOptions } from '../cli/options';

export const statusCommand: CommandSpec = {
  words: ['status'],
  summary: 'show the installed system: product, state commit (pending or confirmed), targets and where they are mounted (exit 3 if it does not verify)',
  args: '[--rfs R] [--json]',
  positionals: [0, 0],
  options: { ...rootOptions, ...caOptions, ...jsonOption },
  async run({ values, out }) {
    const report = await status({ root: rootOf(values), manifestCa: caOf(values) });
    out(values.json ? JSON.stringify(report, null, 2) + '\n' : render(report));
    return report.installed && !report.verified ? EXIT.verification : EXIT.ok;
  },
};

function render(r: StatusReport): string {
  if (!r.installed) return `${r.root}: not installed\n`;
  const lines = [`root     ${r.root}`];
  if (r.verified) lines.push(`product  ${r.product}`, `state    ${r.commit?.slice(0, 12)} (${r.history?.[0]?.time ?? '?'}), verified against ${r.caPath}`);
  else lines.push(`state    ${r.commit?.slice(0, 12) ?? '?'}: DOES NOT VERIFY: ${r.error?.message}`);
  if (r.bootedCommit && r.bootedCommit !== r.commit) lines.push(`booted   ${r.bootedCommit.slice(0, 12)} runs now; hostfs and bootkit of the current state take effect at the next boot`);
  if (r.newestSerial !== undefined) lines.push(`serial   ${r.newestSerial} (an update must be newer)`);
  if (r.rollbackTarget) lines.push(`rollback to ${r.rollbackTarget.commit.slice(0, 12)} (${r.rollbackTarget.message.split('\n')[0]})`);
  if (r.pending) {
    const p = r.pending;
    lines.push(`PENDING  ${p.kind} since ${p.since}${p.deadline ? `, deadline ${p.deadline}` : ''}${p.autoRollback ? '' : ' (no auto-rollback)'}: ${p.waiting}`);
  } else if (r.confirmed && r.confirmed.commit === r.commit) {
    lines.push(`confirmed ${r.confirmed.at} (${r.confirmed.by === 'auto' ? 'its services proved healthy' : 'by hand'})`);
  }
  if (r.staged) lines.push(`STAGED   install ${r.staged.sha256.slice(0, 12)} serial ${r.staged.serial} from ${r.staged.url} (${r.staged.at}); mosctl update --apply makes it current`);
  if (r.source) lines.push(`source   ${r.source.url} (mosctl update without a URL fetches it)`);
  if (r.lastRollback) lines.push(`last rollback ${r.lastRollback.time}: ${r.lastRollback.message.split('\n')[0]}`);
  if (r.lastAutoRollback && r.lastAutoRollback.commit === r.lastRollback?.commit) {
    for (const c of r.lastAutoRollback.services) {
      lines.push(`  ${c.name}: ${c.problem}${c.lastExit ? `, last exit ${c.lastExit.signal ?? c.lastExit.code} (${c.lastExit.reason})` : ''}`);
      for (const l of (c.logTail ?? []).slice(-5)) lines.push(`    | ${l}`);
    }
  }
  if (r.targets?.length) {
    const rows = r.targets.map((t) => [t.name, t.type, t.version, `${t.digest.slice(0, 19)}…`, String(t.size), t.mounts.map((m) => `${m.dest} (${m.writable ? 'rw' : 'ro'})`).join(', ') || '-']);
    const head = ['TARGET', 'TYPE', 'VERSION', 'DIGEST', 'SIZE', 'MOUNTED'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    lines.push('', ...[head, ...rows].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]))).join('  ')));
    const kinds = new Map<string, string>();
    for (const m of r.targets.flatMap((t) => t.mounts)) for (const l of m.layers) kinds.set(l.protection, l.detail);
    if (kinds.size) lines.push('', 'layer protection', ...[...kinds].map(([p, d]) => `  ${p}: ${d}`));
  }
  if (r.services?.length) lines.push('', 'services', ...formatServiceTable(r.services).trimEnd().split('\n').map((l) => `  ${l}`));
  if (r.history?.length) lines.push('', 'history', ...r.history.map((h) => `  ${h.commit.slice(0, 12)} ${h.time} ${h.message}`));
  return lines.join('\n') + '\n';
}
