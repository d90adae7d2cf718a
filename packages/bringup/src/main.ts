/**
 * The `bringup` executable: what the initramfs's `/init` runs (bundled into one file,
 * `dist/bringup.js`). Exit 0 means the verified root is ready and `/etc/mos/switch-root` names
 * it; anything else means "do not boot", and `/init` refuses.
 */
import { readFileSync } from 'node:fs';
import { bringup } from './boot/bringup';
import { realBootSys } from './boot/boot-sys';

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

async function main(): Promise<number> {
  const started = performance.now();
  log(`started (uptime ${uptime()} s)`);
  try {
    await bringup({ cmdline: readFileSync('/proc/cmdline', 'utf8'), sys: realBootSys, log });
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
