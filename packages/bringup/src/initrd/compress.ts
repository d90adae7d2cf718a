import { BringupError } from '../errors';

/** How the initramfs is compressed. The kernel must have the matching `RD_*` decompressor. */
export type InitrdCompression = 'none' | 'gzip' | 'zstd' | 'lz4';

export const INITRD_COMPRESSIONS: readonly InitrdCompression[] = ['zstd', 'gzip', 'lz4', 'none'];

/**
 * `zstd`: boot.md §4.1 measured it as the best build-time/size trade-off for an initramfs that
 * carries node (37 MB in 0.5 s), and Debian's kernel has `RD_ZSTD=y`.
 */
export const DEFAULT_INITRD_COMPRESSION: InitrdCompression = 'zstd';

/**
 * The compressor command line for each kind, reading stdin and writing stdout. Each choice is
 * reproducible (same input, same bytes) and chosen for build time first, size second:
 *
 * - `zstd -3 -T0`: multi-threaded zstd output does not depend on the number of workers
 *   (checked: `-T0`, `-T1`, `-T2` give identical bytes; only `--single-thread` differs), and
 *   it runs in ~0.5 s for ~100 MB of node + libraries.
 * - `gzip -n -6`: `-n` keeps the name and time out of the header; level 6 (gzip's own default)
 *   is 37.7 MB in 4.1 s where `-9` is 37.5 MB in 12.4 s on the same input.
 * - `lz4 -l -9`: the kernel only reads the legacy lz4 frame format (`-l`); 43.9 MB in 3.0 s,
 *   and the fastest to unpack at boot under TCG (boot.md §4.1).
 *
 * `none` has no command (`undefined`).
 *
 * @example
 * ```ts
 * import { compressorCommand } from '@mos/bringup';
 * compressorCommand('zstd'); // { tool: 'zstd', args: ['-3', '-T0', '-q', '-c'] }
 * ```
 */
export function compressorCommand(kind: InitrdCompression): { tool: string; args: string[] } | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'zstd':
      return { tool: 'zstd', args: ['-3', '-T0', '-q', '-c'] };
    case 'gzip':
      return { tool: 'gzip', args: ['-n', '-6', '-c'] };
    case 'lz4':
      return { tool: 'lz4', args: ['-l', '-9', '-q', '-c'] };
  }
  // Not one of the kinds (a caller without types): the same error as the option check.
  assertCompression(kind);
  return undefined;
}

/** Throws `ERR_BRINGUP_BAD_OPTION` unless `kind` is one of {@link INITRD_COMPRESSIONS}. */
export function assertCompression(kind: unknown): InitrdCompression {
  if (typeof kind === 'string' && (INITRD_COMPRESSIONS as readonly string[]).includes(kind)) return kind as InitrdCompression;
  throw new BringupError('ERR_BRINGUP_BAD_OPTION', `unknown initramfs compression ${JSON.stringify(kind)} (use ${INITRD_COMPRESSIONS.join(', ')})`, {
    details: { compress: kind },
  });
}
