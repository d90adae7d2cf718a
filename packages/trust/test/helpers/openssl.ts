import { execFileSync, spawnSync } from 'node:child_process';

/** Runs the real `openssl` CLI and returns its stdout; throws (with stderr) when it fails. */
export function openssl(args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): string {
  try {
    return execFileSync('openssl', args, { cwd: opts.cwd, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    throw new Error(`openssl ${args.join(' ')} failed (${err.status}): ${err.stderr ?? ''}`);
  }
}

/** Runs `openssl` without throwing: exit status and output. */
export function opensslStatus(args: string[], opts: { cwd?: string } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { cwd: opts.cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `openssl verify -CAfile ca [-untrusted intermediates] cert`: ok, or the first `error N at D
 * depth lookup: ...` line openssl printed.
 */
export function opensslVerify(caFile: string, certFile: string, untrusted?: string, flags: string[] = []): { ok: boolean; error?: string } {
  const r = opensslStatus(['verify', ...flags, '-CAfile', caFile, ...(untrusted ? ['-untrusted', untrusted] : []), certFile]);
  if (r.status === 0) return { ok: true };
  const line = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => /^error \d+ at/.test(l));
  return { ok: false, error: line ?? `${r.stdout}${r.stderr}`.trim() };
}

/** The `Not Before` / `Not After` of a certificate file, as openssl reads them. */
export function opensslDates(certFile: string): { notBefore: Date; notAfter: Date } {
  const out = openssl(['x509', '-in', certFile, '-noout', '-dates', '-dateopt', 'iso_8601']);
  const get = (k: string) => new Date(out.match(new RegExp(`^${k}=(.+)$`, 'm'))![1].replace(' ', 'T'));
  return { notBefore: get('notBefore'), notAfter: get('notAfter') };
}

/** openssl's `x509 -text` of a certificate file (names printed as UTF-8, RFC 2253 order off). */
export const opensslText = (certFile: string) =>
  openssl(['x509', '-in', certFile, '-noout', '-text', '-nameopt', 'oneline,-esc_msb,utf8']);
