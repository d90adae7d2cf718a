import { AtomfsError } from '../errors';
import { buildCommands } from './commands/build';
import { mountCommands } from './commands/mount';
import { verityCommands } from './commands/verity';
import { runCli, type CliIo } from './kit';

/** Exit statuses of the `atomfs` command (documented in the package README). */
export const EXIT = { ok: 0, error: 1, usage: 2, verification: 3, notFound: 4, busy: 5 } as const;

const VERIFICATION = new Set([
  'ERR_ATOMFS_VERITY_MISSING',
  'ERR_ATOMFS_ROOT_HASH_MISSING',
  'ERR_ATOMFS_INSECURE_REFUSED',
  'ERR_ATOMFS_BAD_VERITY_SUPERBLOCK',
  'ERR_ATOMFS_VERITY_TRUNCATED',
  'ERR_ATOMFS_ROOT_HASH_MISMATCH',
  'ERR_ATOMFS_HASH_BLOCK_CORRUPT',
  'ERR_ATOMFS_DATA_BLOCK_CORRUPT',
  'ERR_ATOMFS_VERIFY_FAILED',
  'ERR_ATOMFS_NOT_SQUASHFS',
  'ERR_ATOMFS_BAD_IMAGE',
]);
const BUSY = new Set(['ERR_ATOMFS_BUSY', 'ERR_ATOMFS_ALREADY_MOUNTED', 'ERR_ATOMFS_LAYER_CONFLICT', 'ERR_ATOMFS_LOCK_TIMEOUT']);
const USAGE = new Set(['ERR_ATOMFS_BAD_ARGUMENT', 'ERR_ATOMFS_UNSAFE_PATH']);

/** Maps an error to the documented exit status. */
export function exitCodeOf(e: unknown): number {
  const code = (e as { code?: unknown })?.code;
  if (e instanceof AtomfsError) {
    if (VERIFICATION.has(code as string)) return EXIT.verification;
    if (BUSY.has(code as string)) return EXIT.busy;
    if (USAGE.has(code as string)) return EXIT.usage;
    if (code === 'ERR_ATOMFS_NOT_MOUNTED') return EXIT.notFound;
    return EXIT.error;
  }
  // @mos/oci-store errors: a missing tag or blob is "not found", bad digests are verification.
  if (code === 'ERR_OCI_TAG_NOT_FOUND' || code === 'ERR_OCI_NOT_FOUND' || code === 'ENOENT') return EXIT.notFound;
  if (code === 'ERR_OCI_DIGEST_MISMATCH' || code === 'ERR_OCI_SIZE_MISMATCH') return EXIT.verification;
  if (code === 'ERR_OCI_INVALID_REFERENCE') return EXIT.usage;
  return EXIT.error;
}

/** Runs the `atomfs` CLI over `argv`; returns the exit status. */
export function run(argv: string[], io: CliIo): Promise<number> {
  return runCli('atomfs', [...mountCommands, ...buildCommands, ...verityCommands], argv, io, exitCodeOf);
}

/** Entry point of the `atomfs` bin. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  process.exitCode = await run(argv, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
}
