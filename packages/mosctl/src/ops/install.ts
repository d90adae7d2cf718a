import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressEvent, RemoteAccessOptions } from '@mos/oci-store';
import { AlreadyInstalledError, initState, lockState, statePaths, storeTargetCheck, systemForInstall, uidRangePolicy, writeSource, type SystemManifest } from '@mos/manifest';
import { findManifestCA, loadTrustAnchors } from '@mos/trust';
import { fetchInstall, importTargets, verifyFetched } from '@mos/bringup';
import { MosctlError } from '../errors';

export interface InstallOptions extends RemoteAccessOptions {
  /** The root being installed. Default `/`. */
  root?: string;
  /** The signed install manifest: `HOST:PORT/NAME:TAG` or `docker://…`. */
  url: string;
  /** Manifest CA (not the registry TLS CA). Default: R/factory/secure/manifestCA.pem, then R/manifestCA.pem. */
  manifestCa?: string;
  /** The reference recorded as the machine's update source (default `url`; see `readSource`). */
  sourceUrl?: string;
  onProgress?: (e: ProgressEvent & { target: string }) => void;
  now?: Date;
}

export interface InstallResult {
  root: string;
  commit: string;
  product: string;
  sha256: string;
  system: SystemManifest;
}

/**
 * `mosctl install` (mos-original §4.3, with the intent fixes). Order matters:
 * 1. the CA, `R/config` and `R/atomfs-store` must exist; a root that has `manifest.git` is
 *    "already installed";
 * 2. the manifest and its referrers are fetched and **verified before anything is written**
 *    (chain to the CA, signature, product; a partial manifest is refused);
 * 3. the state lock is taken exclusively (and "already installed" checked again);
 * 4. every target image is imported into `R/atomfs-store/mos` (verified streaming writes) and
 *    checked: its tag names exactly the pinned digest and size;
 * 5. the source (`R/config/source.json`, where `mosctl update` without a URL looks) is recorded;
 * 6. only then `manifest.git` appears, atomically (built beside, renamed into place).
 * A failure or kill at any point leaves no `manifest.git`, so the retry starts over cleanly
 * (images already imported are reused).
 */
export async function install(opts: InstallOptions): Promise<InstallResult> {
  const root = opts.root ?? '/';
  const { configDir, manifestGit } = statePaths(root);
  const caPath = findManifestCA({ root, explicit: opts.manifestCa });
  for (const [dir, what] of [
    [configDir, 'configuration directory'],
    [join(root, 'atomfs-store'), 'image store directory'],
  ] as const) {
    if (!existsSync(dir)) throw new MosctlError('ERR_MOSCTL_NOT_FOUND', `${what} ${dir} is missing; create it (or mount its partition) first`);
  }
  const installed = () => {
    if (existsSync(manifestGit)) throw new AlreadyInstalledError(`${root} is already installed (${manifestGit} exists); use mosctl update`);
  };
  installed();
  // Everything up to the plan writes nothing, not even the lock file.
  const fetched = await fetchInstall(opts.url, opts);
  const verified = verifyFetched(fetched, loadTrustAnchors({ caPath }), opts.now);
  const system = systemForInstall({ sha256: verified.sha256, manifest: verified.manifest }, uidRangePolicy());
  const lock = await lockState({ root, mode: 'exclusive' });
  try {
    installed(); // another install may have finished while we verified
    await importTargets({ root, from: fetched.reference, targets: verified.manifest.targets, registry: opts, onProgress: opts.onProgress });
    const check = await storeTargetCheck(root);
    for (const t of verified.manifest.targets) await check({ name: t.service_name, install: verified.sha256, target: t });
    await writeSource(root, opts.sourceUrl ?? opts.url, opts.now);
    const commit = await initState({ configDir, state: { system, installs: [verified.signed] }, now: opts.now });
    return { root, commit, product: verified.product, sha256: verified.sha256, system };
  } finally {
    await lock.release();
  }
}
