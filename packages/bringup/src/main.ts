/**
 * The `bringup` executable: what the initramfs's `/init` runs (bundled into one file,
 * `dist/bringup.js`). Exit 0 means the verified root is ready and `/etc/mos/switch-root` names
 * it; anything else means "do not boot", and `/init` refuses.
 */
import { readFileSync } from 'node:fs';
import { bringup } from './boot/bringup';
import { realBootSys } from './boot/boot-sys';
import type { HandoverStyle } from './boot/handover';

const log = (s: string) => process.stdout.write(`mos-bringup: ${s}\n`);

/** Seconds since the kernel started, for the boot timeline (after the handover /proc is under the new root). */
function uptime(): string {
  for (const p of ['/proc/uptime', '/sysroot/proc/uptime']) {
    try {
      return readFileSync(p, 'utf8').split(' ')[0];
    } catch {
      // not there (yet, or any more)
    }
  }
  return '?';
}

/** One error as the console shows it: code, message, the facts, and what caused it. */
export function describeError(e: unknown): string[] {
  const lines: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const err = cur as { code?: string; message?: string; details?: unknown };
    // The facts, without tool output the message already carries, kept to one console line.
    const facts = err.details && typeof err.details === 'object' ? Object.entries(err.details).filter(([k]) => k !== 'stderr' && k !== 'args') : [];
    const details = facts.length ? ` ${JSON.stringify(Object.fromEntries(facts)).slice(0, 400)}` : '';
    lines.push(`${depth ? 'caused by: ' : ''}${err.code ? `[${err.code}] ` : ''}${err.message ?? String(cur)}${details}`);
  }
  return lines;
}

const USAGE = `usage: bringup [--new-root DIR] [--handover switch-root|distro]

Sets up the verified root named by root=soci: on the kernel command line, for an initramfs.
  --new-root DIR   where to assemble the root (default /sysroot; initramfs-tools: $rootmnt,
                   dracut: $NEWROOT)
  --handover S     switch-root (default): move /dev, /proc, /sys, /run under the new root and
                   write /etc/mos/switch-root for mos's /init; distro: leave that to the
                   distro's init (initramfs-tools, dracut)
Exit 0: the root verified and is ready. Anything else: do not boot.`;

/** The flags, or a usage error (exit 2). */
export function parseArgs(argv: string[]): { newRoot?: string; style?: HandoverStyle; help?: boolean } {
  const out: { newRoot?: string; style?: HandoverStyle; help?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') out.help = true;
    else if (flag === '--new-root') {
      out.newRoot = value();
      if (!out.newRoot.startsWith('/')) throw new Error(`--new-root must be an absolute path, got ${JSON.stringify(out.newRoot)}`);
    } else if (flag === '--handover') {
      const v = value();
      if (v !== 'switch-root' && v !== 'distro') throw new Error(`--handover must be switch-root or distro, got ${JSON.stringify(v)}`);
      out.style = v;
    } else throw new Error(`unknown argument ${JSON.stringify(argv[i])}`);
  }
  return out;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bringup: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  log(`started (uptime ${uptime()} s)`);
  try {
    await bringup({ cmdline: readFileSync('/proc/cmdline', 'utf8'), sys: realBootSys, log, newRoot: args.newRoot, style: args.style });
    log(`done in ${Math.round(performance.now() - started)} ms (uptime ${uptime()} s)`);
    return 0;
  } catch (e) {
    for (const l of describeError(e)) log(`FATAL: ${l}`);
    log('the system did not verify: NOT booting it');
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
