import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where a root's API audit log lives (JSON lines). */
export const auditLogPath = (root: string) => join(root, 'var', 'log', 'mos', 'api.log');

/** One line of the audit log: who called what with which arguments, and how it ended. */
export interface AuditEntry {
  time: string;
  client: { id: string; role?: string; via: 'tls' | 'unix'; fingerprint256?: string };
  op: string;
  args: Record<string, unknown>;
  result: { status: number; code?: string; message?: string };
}

/**
 * Appends an entry (one `write` of one line with O_APPEND, so concurrent calls never interleave
 * within a line). The log is root's alone (0600); a write that fails is reported on stderr and
 * does not fail the call it records -- the call already happened.
 */
export async function audit(path: string, entry: AuditEntry): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    await appendFile(path, JSON.stringify(entry) + '\n', { mode: 0o600 });
  } catch (e) {
    process.stderr.write(`mosctl api: cannot write the audit log ${path}: ${(e as Error).message}\n`);
  }
}
