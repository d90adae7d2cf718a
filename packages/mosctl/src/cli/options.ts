import type { OptionSpec, RunContext } from '@mos/trust/cli';
import { UsageError } from '@mos/trust/cli';
import type { ProgressEvent, RemoteAccessOptions } from '@mos/oci-store';
import { INITRD_COMPRESSIONS, type InitrdCompression } from '@mos/bringup';
import { parseDuration, type TrialOptions } from '../ops/trial';

/** `--rfs R`, `--root R`, `-r R`: the root a command works on (the original's three spellings). */
export const rootOptions: Record<string, OptionSpec> = {
  rfs: { type: 'string', short: 'r', arg: 'R', help: 'root filesystem to work on (default /)' },
  root: { type: 'string', arg: 'R', help: 'same as --rfs' },
};

/** The root from `--rfs`/`--root`/`-r`; giving two different ones is a usage error. */
export function rootOf(values: RunContext['values']): string {
  const a = values.rfs as string | undefined;
  const b = values.root as string | undefined;
  if (a && b && a !== b) throw new UsageError('--rfs and --root name different roots');
  return a ?? b ?? '/';
}

/** The manifest CA flags: `--ca` and the original's `--capath`. */
export const caOptions: Record<string, OptionSpec> = {
  ca: { type: 'string', arg: 'F', help: 'manifest CA (default R/factory/secure/manifestCA.pem, then R/manifestCA.pem)' },
  capath: { type: 'string', arg: 'F', help: 'same as --ca' },
};
export const caOf = (values: RunContext['values']) => (values.ca ?? values.capath) as string | undefined;

/** Registry access flags shared by every command that talks to a registry. */
export const registryOptions: Record<string, OptionSpec> = {
  insecure: { type: 'boolean', help: 'allow plain http and unverified TLS to a non-loopback registry' },
  'ca-file': { type: 'string', arg: 'F', help: 'extra CA certificates (PEM) for registry TLS' },
  creds: { type: 'string', arg: 'USER:PASS', help: 'registry credentials (default: $MOS_REGISTRY_CREDS, docker config.json)' },
};

export function registryOf(values: RunContext['values']): RemoteAccessOptions {
  return {
    insecure: values.insecure === true,
    caFile: values['ca-file'] as string | undefined,
    creds: values.creds as string | undefined,
  };
}

export const jsonOption: Record<string, OptionSpec> = { json: { type: 'boolean', help: 'print the result as JSON' } };

export const progressOption: Record<string, OptionSpec> = {
  progress: { type: 'string', arg: 'MODE', help: 'progress output: auto (a bar on a terminal), json (lines on stderr), none' },
};

/**
 * A progress sink for `--progress`: JSON lines on stderr, a one-line bar on a terminal, or
 * nothing. Per blob events, as the copy engine reports them.
 */
export function progressSink(values: RunContext['values']): ((e: ProgressEvent & { target?: string }) => void) | undefined {
  const mode = (values.progress as string | undefined) ?? 'auto';
  if (!['auto', 'json', 'none'].includes(mode)) throw new UsageError(`--progress must be auto, json or none, not "${mode}"`);
  if (mode === 'json') return (e) => process.stderr.write(JSON.stringify(e) + '\n');
  if (mode === 'none' || !process.stderr.isTTY) return undefined;
  return (e) => {
    if (e.kind !== 'blob') return;
    const pct = e.total ? Math.floor((e.loaded / e.total) * 100) : 100;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    process.stderr.write(`\r${(e.target ?? '').padEnd(12)} ${e.digest.slice(7, 19)} [${bar}] ${String(pct).padStart(3)}% ${e.phase === 'skipped' ? '(present)' : ''}`);
    if (e.phase === 'done' || e.phase === 'skipped') process.stderr.write('\n');
  };
}

/** The kernel tree flags of `mosb initrd build` and `mosb bootkit build`. */
export const kernelOptions: Record<string, OptionSpec> = {
  kernel: { type: 'string', arg: 'DIR', help: 'kernel tree: an unpacked linux-image .deb (dpkg -x) or /' },
  kver: { type: 'string', arg: 'KVER', help: 'kernel version (default: the only one under DIR/lib/modules)' },
  compress: { type: 'string', arg: 'KIND', help: `initramfs compression: ${INITRD_COMPRESSIONS.join(', ')} (default zstd)` },
};

/** `--compress`, checked: a kind the kernel unpacks, else a usage error. */
export function compressOf(values: RunContext['values']): InitrdCompression | undefined {
  const c = values.compress as string | undefined;
  if (c !== undefined && !(INITRD_COMPRESSIONS as readonly string[]).includes(c)) throw new UsageError(`--compress must be one of ${INITRD_COMPRESSIONS.join(', ')}, not "${c}"`);
  return c as InitrdCompression | undefined;
}

/** How `update` and `rollback` put the new state on trial (ops/trial.ts). */
export const trialOptions: Record<string, OptionSpec> = {
  'confirm-timeout': { type: 'string', arg: 'DURATION', help: 'how long the services of the new state have to prove themselves before it is rolled back (default 5m; 30s, 5m, 1h)' },
  settle: { type: 'string', arg: 'DURATION', help: 'how long every container service must run healthy to confirm the new state (default 15s)' },
  'no-auto-rollback': { type: 'boolean', help: 'when the deadline passes, stay pending (status says so) instead of rolling back' },
};

export function trialOf(values: RunContext['values']): TrialOptions {
  const d = (flag: string) => (values[flag] === undefined ? undefined : parseDuration(`--${flag}`, values[flag] as string));
  return {
    timeoutSeconds: d('confirm-timeout'),
    settleSeconds: d('settle'),
    autoRollback: values['no-auto-rollback'] !== true,
    watch: values['no-activate'] !== true,
  };
}
