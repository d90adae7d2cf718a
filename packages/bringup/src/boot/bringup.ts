import { bootInstalled, DEFAULT_BOOT_PATHS, type Handover } from './boot-installed';
import type { StateSelector } from './boot-counter';
import { bootLive } from './boot-live';
import type { BootSys } from './boot-sys';
import { parseCmdline, type BootCmdline } from './cmdline';
import { handOver, type HandoverStyle } from './handover';
import { tracedBootSys } from './traced-sys';

/** The name that means "boot the system installed on this machine". */
export const INSTALLED = 'mosboot';

/**
 * The whole initrd job, from the kernel command line to a root ready for switch_root: parse
 * `root=soci:`, set up and verify the root (`name=mosboot`: the installed disk; any other
 * name: a livecd from boot media or a registry), hand it over. Throws on anything that did not
 * verify; the caller (the bundle's main) prints the error and exits non-zero, and `/init`
 * then refuses to boot.
 *
 * `newRoot` (default `/sysroot`) is where the root is assembled; `style` says who switches to it
 * (see {@link HandoverStyle}).
 *
 * @example
 * import { bringup, realBootSys } from '@mos/bringup';
 * await bringup({ cmdline: readFileSync('/proc/cmdline', 'utf8'), sys: realBootSys, log: console.log });
 */
export async function bringup(opts: {
  cmdline: string;
  sys: BootSys;
  log: (s: string) => void;
  selector?: StateSelector;
  now?: Date;
  newRoot?: string;
  style?: HandoverStyle;
}): Promise<Handover> {
  const cmd: BootCmdline = parseCmdline(opts.cmdline);
  const sys = cmd.debug ? tracedBootSys(opts.sys, opts.log) : opts.sys;
  if (cmd.debug) opts.log(`debug: root=soci: ${JSON.stringify(cmd.root)}, init ${cmd.init}`);
  const paths = opts.newRoot ? { newRoot: opts.newRoot } : {};
  const h =
    cmd.root.name === INSTALLED
      ? await bootInstalled({ sys, cmdline: cmd, log: opts.log, selector: opts.selector, now: opts.now, paths })
      : await bootLive({ sys, cmdline: cmd, log: opts.log, now: opts.now, paths });
  await handOver(sys, h, { ca: DEFAULT_BOOT_PATHS.ca, log: opts.log, style: opts.style });
  return h;
}
