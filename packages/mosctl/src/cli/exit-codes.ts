import { trustExitCodeOf } from '@mos/trust/cli';

/** Exit statuses of `mosctl` and `mosb` (documented in the package README). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  verification: 3,
  notFound: 4,
  exists: 5,
  busy: 6,
  registry: 7,
  /** `update --check`: the manifest changes nothing here (already applied). */
  upToDate: 8,
} as const;

/**
 * Codes whose class the patterns below would get wrong. `install --partition`: a wrong disk
 * argument is a usage mistake (never 3, "verification failed"); a disk in use is busy; a disk
 * with content is "exists" (pass --wipe). `initrd build`/`bootkit build`: a bad option or an
 * ambiguous kernel version is a usage mistake.
 */
const EXPLICIT_EXITS: Record<string, number> = {
  ERR_MOSCTL_NOT_A_DISK: EXIT.usage,
  ERR_MOSCTL_DISK_TOO_SMALL: EXIT.usage,
  ERR_MOSCTL_DISK_IN_USE: EXIT.busy,
  ERR_MOSCTL_DISK_NOT_EMPTY: EXIT.exists,
  ERR_BRINGUP_BAD_OPTION: EXIT.usage,
  ERR_MOSCTL_BAD_OPTION: EXIT.usage,
  ERR_BRINGUP_KVER_AMBIGUOUS: EXIT.usage,
};

/**
 * Maps an error to an exit status by its stable `code`. Package error codes are matched by
 * prefix so a new code in a package still lands in the right class.
 */
export function exitCodeOf(e: unknown): number {
  // A failed copy says which side failed in its cause; wire errors of a registry carry the
  // distribution code (MANIFEST_UNKNOWN, DENIED, ...) and the HTTP status.
  if ((e as { code?: unknown })?.code === 'ERR_OCI_COPY_FAILED' && (e as Error).cause) return exitCodeOf((e as Error).cause);
  if ((e as Error)?.name === 'RegistryError') return (e as { status?: number }).status === 404 ? EXIT.notFound : EXIT.registry;
  // An install that failed after partitioning exits as its cause (verify, registry, ...).
  if ((e as { code?: unknown })?.code === 'ERR_MOSCTL_DISK_INSTALL_FAILED' && (e as Error).cause) return exitCodeOf((e as Error).cause);
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return EXIT.error;
  if (code in EXPLICIT_EXITS) return EXPLICIT_EXITS[code];
  if (code.startsWith('ERR_TRUST_')) return trustExitCodeOf(e);
  if (/_(NOT_FOUND|UNKNOWN_TAG|NO_STATE)$/.test(code) || code === 'ENOENT') return EXIT.notFound;
  if (/_(EXISTS|ALREADY_INSTALLED)$/.test(code) || code === 'EEXIST') return EXIT.exists;
  if (/_(LOCKED|BUSY)$/.test(code)) return EXIT.busy;
  if (/_(DIGEST_MISMATCH|SIZE_MISMATCH|VERITY|VERIFY|CORRUPT|INVALID)/.test(code)) return EXIT.verification;
  if (code.startsWith('ERR_OCI_REGISTRY') || code.startsWith('ERR_OCI_NETWORK')) return EXIT.registry;
  return EXIT.error;
}
