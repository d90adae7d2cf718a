import { VerifyFailedError } from '../errors';
import type { InstallManifest, SystemManifest } from '../types';

/**
 * Refuses an install manifest whose signed `expires` has passed at `now`: a manifest that was
 * valid once cannot be kept around to freeze a machine on it (install, update and boot all
 * check). A manifest without `expires` does not expire.
 */
export function assertNotExpired(manifest: InstallManifest, what: string, now: Date = new Date()): void {
  if (manifest.expires === undefined) return;
  const at = Date.parse(manifest.expires);
  if (now.getTime() > at) {
    throw new VerifyFailedError(`${what} expired at ${manifest.expires} (it is ${now.toISOString()} now); publish a new one`, 'expired');
  }
}

/**
 * Refuses an update that is not newer than what this machine applied: its `serial` (absent: 0)
 * must be greater than the state's newest applied serial, so an older validly signed manifest
 * cannot be replayed to downgrade the machine. The newest serial is part of the committed state
 * and only grows, also across rollbacks.
 */
export function assertNewer(current: SystemManifest, next: { sha256: string; manifest: InstallManifest }): void {
  const newest = current.newest_serial ?? 0;
  const serial = next.manifest.serial ?? 0;
  if (serial > newest) return;
  throw new VerifyFailedError(
    `install manifest ${next.sha256.slice(0, 12)} has serial ${serial}, not newer than serial ${newest} this machine has applied: ` +
      'refused as a replay of an older release (publish the update with a greater --serial)',
    'replay',
  );
}
