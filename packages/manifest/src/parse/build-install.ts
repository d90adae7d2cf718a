import { InvalidManifestError } from '../errors';
import type { ImportManifest, InstallManifest, Target } from '../types';
import { validateInstallManifest } from '../validate/install';

/** A target's image as publish found it at its source. */
export interface ResolvedImage {
  digest: string;
  size: number;
}

/**
 * The install manifest an import manifest publishes: the same targets without `source`, each
 * pinned to the digest and size publish resolved from the source. A digest or non-zero size the
 * import manifest gives must match (the original's rule). The result is validated -- the
 * original published without validating.
 *
 * @example
 * import { installFromImport, serializeInstallManifest } from '@mos/manifest';
 * const bytes = serializeInstallManifest(installFromImport(imported, [{ digest, size }]));
 */
export function installFromImport(imp: ImportManifest, images: ResolvedImage[], fresh: Pick<InstallManifest, 'serial' | 'expires'> = {}): InstallManifest {
  if (images.length !== imp.targets.length) throw new Error(`${images.length} resolved images for ${imp.targets.length} targets`);
  const issues = imp.targets.flatMap((t, i) => {
    const out = [];
    if (t.digest && t.digest !== images[i].digest) {
      out.push({ path: `targets[${i}].digest`, rule: 'source-digest', message: `target "${t.service_name}" pins ${t.digest} but its source ${t.source} has ${images[i].digest}` });
    }
    if (t.size && t.size !== images[i].size) {
      out.push({ path: `targets[${i}].size`, rule: 'source-size', message: `target "${t.service_name}" pins size ${t.size} but its source ${t.source} has ${images[i].size}` });
    }
    return out;
  });
  if (issues.length) throw new InvalidManifestError('import manifest', issues);
  const targets: Target[] = imp.targets.map((t, i) => ({
    service_name: t.service_name,
    version: t.version,
    service_type: t.service_type,
    network: t.network,
    nsgroup: t.nsgroup,
    digest: images[i].digest,
    storage: t.storage,
    size: images[i].size,
    ...(t.health && { health: t.health }),
  }));
  const install: InstallManifest = { version: imp.version, product: imp.product, storage: imp.storage, targets, update_type: imp.update_type || 'partial', ...fresh };
  const v = validateInstallManifest(JSON.parse(serializeInstallManifest(install).toString()));
  if (v.errors.length) throw new InvalidManifestError('install manifest', v.errors);
  return install;
}

/**
 * The bytes of an install manifest as the original's Go structs marshal them: compact JSON,
 * fields in struct order, then mos's `serial` and `expires` when set (top-level keys the
 * original's decoder ignores) and a target's `health` after its `size` (likewise). These exact bytes are what gets signed.
 */
export function serializeInstallManifest(m: InstallManifest): Buffer {
  const ordered = {
    version: m.version,
    product: m.product,
    storage: m.storage.map((s) => ({ label: s.label, persistent: s.persistent, nsgroup: s.nsgroup, size: s.size })),
    targets: m.targets.map((t) => ({
      service_name: t.service_name,
      version: t.version,
      service_type: t.service_type,
      network: { type: t.network.type, ipv4: t.network.ipv4, ipv6: t.network.ipv6, ports: t.network.ports.map((p) => ({ host: p.host, container: p.container })) },
      nsgroup: t.nsgroup,
      digest: t.digest,
      storage: t.storage.map((s) => ({ dest: s.dest, label: s.label })),
      size: t.size,
      ...(t.health !== undefined ? { health: t.health } : {}),
    })),
    update_type: m.update_type,
    ...(m.serial !== undefined ? { serial: m.serial } : {}),
    ...(m.expires !== undefined ? { expires: m.expires } : {}),
  };
  return Buffer.from(JSON.stringify(ordered));
}
