import { tailLines } from '../supervisor/active';
import { servicePaths } from '../paths';
import { absoluteRoot, assertTargetName } from '../validate';

/**
 * The last `lines` lines (default 20) of a service's output (`R/var/log/mos/<name>.log`, what
 * its init wrote to stdout and stderr across runs); empty when it has none. Reads at most the
 * last 64 KiB, whatever the log's size.
 *
 * @example
 * import { serviceLogTail } from '@mos/services';
 * console.log(serviceLogTail({ root: '/', name: 'web', lines: 5 }).join('\n'));
 */
export function serviceLogTail(opts: { root: string; name: string; lines?: number }): string[] {
  assertTargetName(opts.name);
  return tailLines(servicePaths(absoluteRoot(opts.root)).serviceLog(opts.name), opts.lines ?? 20);
}
