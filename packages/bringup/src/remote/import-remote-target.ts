import type { RemoteAccessOptions } from '@mos/oci-store';
import { storeDir, storeTargetCheck, type Target } from '@mos/manifest';
import { loadTrustAnchors } from '@mos/trust';
import { BringupError } from '../errors';
import { fetchInstall } from './fetch-install';
import { importTargets } from './import-targets';
import { verifyFetched } from './verify-fetched';

/**
 * One target of a remote signed install manifest, made local (the livecd case of `mosctl mount
 * URL` and of the initrd): fetch the manifest and its referrers, verify them against `caPath`
 * (chain, signature, product) before anything is written, pick the target, import its image
 * into `R/atomfs-store/mos` (every blob verified) and check it there by digest and size.
 * Returns the target as the signed manifest pins it, ready for `mountTarget`.
 *
 * @example
 * import { importRemoteTarget, mountTarget } from '@mos/bringup';
 * const t = await importRemoteTarget({ root: '/', url: '127.0.0.1:5000/machine/livecd:1.0', name: 'livecd', caPath: '/manifestCA.pem' });
 * await mountTarget({ root: '/', target: t, dest: '/sysroot' });
 */
export async function importRemoteTarget(opts: {
  root: string;
  url: string;
  name: string;
  caPath: string;
  registry?: RemoteAccessOptions;
  now?: Date;
}): Promise<Target> {
  const fetched = await fetchInstall(opts.url, opts.registry ?? {});
  const verified = verifyFetched(fetched, loadTrustAnchors({ caPath: opts.caPath }), opts.now);
  const t = verified.manifest.targets.find((x) => x.service_name === opts.name);
  if (!t) {
    throw new BringupError('ERR_BRINGUP_TARGET_NOT_FOUND', `${opts.url} has no target "${opts.name}" (it has ${verified.manifest.targets.map((x) => x.service_name).join(', ')})`, {
      details: { url: opts.url, target: opts.name, store: storeDir(opts.root) },
    });
  }
  await importTargets({ root: opts.root, from: fetched.reference, targets: [t], registry: opts.registry });
  await (await storeTargetCheck(opts.root))({ name: opts.name, install: verified.sha256, target: t });
  return t;
}
