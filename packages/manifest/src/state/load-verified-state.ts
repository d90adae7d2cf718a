import { findManifestCA, loadTrustAnchors } from '@mos/trust';
import { StateCorruptError, TargetNotFoundError, VerifyFailedError } from '../errors';
import { readCommittedState } from '../git/state-repo';
import type { SystemManifest, Target } from '../types';
import { isNoNsgroup } from '../validate/rules';
import { statePaths } from './paths';
import { verifyInstall, type VerifiedInstall } from './verify-install';

/** A target of the verified system, with the install manifest entry that pins it. */
export interface VerifiedTarget {
  name: string;
  /** sha256 of the install manifest that defines it. */
  install: string;
  target: Target;
}

/** The committed system state, every piece of it verified. */
export interface VerifiedState {
  root: string;
  commit: string;
  product: string;
  system: SystemManifest;
  installs: Map<string, VerifiedInstall>;
  /** In system order. */
  targets: VerifiedTarget[];
  caPath: string;
}

/** A per-target check run after the signatures (e.g. the image is in the store with that digest and size). */
export type TargetCheck = (t: VerifiedTarget) => void | Promise<void>;

/**
 * Reads the state committed in `R/config/manifest.git` and verifies all of it: every referenced
 * install manifest's signature, certificate chain (to the CA found for `root`, or `ca`) and
 * product; one product for the whole system; every system target present in its install
 * manifest; an nsgroup range for every nsgroup in use; then `checkTarget` for each target in use.
 * Only targets in use are checked, so images a partial update superseded may be collected.
 *
 * @example
 * import { loadVerifiedState } from '@mos/manifest';
 * const state = await loadVerifiedState({ root: '/tmp/root', checkTarget: (t) => store.check(t.target) });
 */
export async function loadVerifiedState(opts: { root: string; ca?: string; checkTarget?: TargetCheck; now?: Date; commit?: string }): Promise<VerifiedState> {
  const { configDir } = statePaths(opts.root);
  const committed = await readCommittedState({ configDir, commit: opts.commit });
  const caPath = findManifestCA({ root: opts.root, explicit: opts.ca });
  const anchors = loadTrustAnchors({ caPath });
  const installs = new Map<string, VerifiedInstall>();
  for (const [sha, signed] of committed.installs) installs.set(sha, verifyInstall(signed, anchors, opts.now));

  const products = new Set([...installs.values()].map((i) => i.product));
  if (products.size > 1) {
    throw new VerifyFailedError(`the installed state mixes products ${[...products].join(', ')}`, 'product-mismatch');
  }
  const targets: VerifiedTarget[] = committed.system.targets.map((t) => {
    const sha = t.source.replace(/\.json$/, '');
    const target = installs.get(sha)?.manifest.targets.find((x) => x.service_name === t.name);
    if (!target) throw new TargetNotFoundError(`target "${t.name}" is not in its install manifest ${t.source}`);
    return { name: t.name, install: sha, target };
  });
  const mapped = new Set(committed.system.uidmaps.map((m) => m['idmap-name']));
  for (const g of [...targets.map((t) => t.target.nsgroup), ...committed.system.storage.map((s) => s.nsgroup)]) {
    if (!isNoNsgroup(g) && !mapped.has(g)) throw new StateCorruptError(`nsgroup "${g}" is used but has no uid range in manifest.json`);
  }
  for (const t of targets) await opts.checkTarget?.(t);
  return {
    root: opts.root,
    commit: committed.commit,
    product: [...products][0] ?? '',
    system: committed.system,
    installs,
    targets,
    caPath,
  };
}
