import type { Issue } from '../errors';
import type { ImportManifest, ImportTarget } from '../types';
import { checkTargets, readStorageItems, readTargetCommon, readText, type Validated } from './common';
import { Fields, isObject, type Tree } from './fields';
import { readUpdateType } from './install';
import { DIGEST, hasControlChars } from './rules';

export const IMPORT_MANIFEST_VERSION = 1;

/** `oci:DIR:TAG`, `docker://…`, `http(s)://…`, or the original's bare `host[:port]/name:tag`. */
const SOURCE = /^(oci:[^:]+:.+|docker:\/\/[^/]+\/.+|https?:\/\/[^/]+\/.+|[^/\s:]+(:\d+)?\/.+)$/;

/**
 * Stage 2 for `manifest.yaml`: types and validates a decoded tree, collecting every problem.
 * Digest and size of a target are optional here (publish computes them from the source).
 */
export function validateImportManifest(tree: Tree): Validated<ImportManifest> {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const f = new Fields(tree, '', errors);
  const version = f.int('version');
  if (version !== IMPORT_MANIFEST_VERSION) {
    f.issue('version', 'version', `unknown import manifest version ${version} (this mos reads version ${IMPORT_MANIFEST_VERSION})`);
  }
  const product = readText(f, 'product', 'product', 256);
  const raw = f.string('update_type');
  const update_type = raw === '' ? '' : readUpdateType(f, warnings);
  if (raw === '') warnings.push({ path: 'update_type', rule: 'default', message: 'update_type is empty; hosts treat the manifest as "partial", which cannot be installed' });
  const storage = readStorageItems(f);
  const targets: ImportTarget[] = f.list('targets').map((t) => {
    const source = t.string('source');
    if (!SOURCE.test(source) || hasControlChars(source)) {
      t.issue('source', 'source', `source ${JSON.stringify(source)} must be oci:DIR:TAG, docker://HOST/NAME:TAG or HOST[:PORT]/NAME:TAG`);
    }
    const digest = t.string('digest');
    if (digest !== '' && !DIGEST.test(digest)) t.issue('digest', 'digest', `digest ${JSON.stringify(digest)} must be "sha256:" and 64 lowercase hex digits`);
    const size = t.int('size');
    if (size < 0) t.issue('size', 'size', 'size must not be negative (0 means: take it from the source)');
    const health = t.raw('health');
    if (health !== undefined && health !== null && !isObject(health)) t.issue('health', 'health', 'health must be a mapping: {command: [ARGV...]} or {tcp: PORT}, with interval, timeout, retries, start_period');
    return { ...readTargetCommon(t), source, digest, size, ...(isObject(health) && { health }) };
  });
  checkTargets(targets, storage, 'targets', errors, warnings);
  return { value: { version, product, update_type, storage, targets }, errors, warnings };
}
