import { TrustError } from '../errors';
import { apiClientCommands } from './commands/api-client';
import { keysetCommands } from './commands/keyset';
import { manifestCommands, VerificationFailed } from './commands/manifest';
import { projectCommands } from './commands/project';
import { runCli } from './kit';

/** Exit statuses of the `trust` command (documented in the package README). */
export const EXIT = { ok: 0, error: 1, usage: 2, verification: 3, notFound: 4, exists: 5 } as const;

export function exitCodeOf(e: unknown): number {
  const err = e instanceof VerificationFailed ? e.cause : e;
  if (err instanceof TrustError) {
    switch (err.code) {
      case 'ERR_TRUST_NOT_FOUND':
      case 'ERR_TRUST_NO_CA':
        return EXIT.notFound;
      case 'ERR_TRUST_EXISTS':
        return EXIT.exists;
      case 'ERR_TRUST_INVALID_NAME':
        return EXIT.usage;
      default:
        return EXIT.verification;
    }
  }
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return EXIT.notFound;
  return EXIT.error;
}

/** Entry point of the `trust` bin. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(
    'trust',
    [...keysetCommands, ...projectCommands, ...apiClientCommands, ...manifestCommands],
    argv,
    { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
    exitCodeOf,
  );
}
