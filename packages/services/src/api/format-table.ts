import type { ServiceStatus } from '../supervisor/status';

const ago = (iso: string, now: number) => {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
};

const lastExit = (e: ServiceStatus['lastExit']) => (e ? `${e.signal ? e.signal : `status ${e.code}`}${e.reason === 'unhealthy' ? ' (unhealthy)' : ''}` : '-');

/**
 * The services as a text table (what `mosctl services` and `mosctl status` print): name, type,
 * state, pid, restarts, last exit, time in state, address, forwarded ports, health; a failed
 * service gets its reason and last log lines below the table.
 *
 * @example
 * import { formatServiceTable, serviceStatus } from '@mos/services';
 * process.stdout.write(formatServiceTable(serviceStatus({ root: '/' }).services));
 */
export function formatServiceTable(services: ServiceStatus[], now = Date.now()): string {
  if (services.length === 0) return 'no services are active\n';
  const head = ['NAME', 'TYPE', 'STATE', 'PID', 'RESTARTS', 'LAST EXIT', 'SINCE', 'ADDRESS', 'PORTS', 'HEALTH'];
  const rows = services.map((s) => [
    s.name,
    s.type,
    s.state,
    s.pid === null ? '-' : String(s.pid),
    String(s.restarts),
    lastExit(s.lastExit),
    ago(s.since, now),
    [s.address?.ipv4, s.address?.ipv6].filter(Boolean).join(',') || '-',
    s.ports.map((p) => `${p.host}->${p.container}`).join(',') || '-',
    s.health === 'none' ? '-' : s.health,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  for (const s of services.filter((x) => x.failure)) {
    out.push('', `${s.name}: ${s.failure!.reason}${s.failure!.code ? ` [${s.failure!.code}]` : ''}`);
    for (const l of s.failure!.logTail) out.push(`  | ${l}`);
  }
  return out.join('\n') + '\n';
}
