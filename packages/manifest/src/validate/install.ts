import type { Issue } from '../errors';
import { UPDATE_TYPES, type InstallManifest, type Target, type UpdateType } from '../types';
import { checkTargets, readStorageItems, readTargetCommon, readText, type Validated } from './common';
import { Fields, type Tree } from './fields';
import { DIGEST } from './rules';

export const INSTALL_MANIFEST_VERSION = 1;

/**
 * Stage 2 for `install.json`: types and validates a decoded tree, collecting every problem.
 * An empty `update_type` reads as `partial` (as the original's Validate does), with a warning.
 */
export function validateInstallManifest(tree: Tree): Validated<InstallManifest> {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const f = new Fields(tree, '', errors);
  const version = f.int('version');
  if (version !== INSTALL_MANIFEST_VERSION) {
    f.issue('version', 'version', `unsupported install manifest version ${version} (this mos reads version ${INSTALL_MANIFEST_VERSION})`);
  }
  const product = readText(f, 'product', 'product', 256);
  const update_type = readUpdateType(f, warnings);
  const storage = readStorageItems(f);
  const targets: Target[] = f.list('targets').map((t) => {
    const digest = t.string('digest');
    if (!DIGEST.test(digest)) t.issue('digest', 'digest', `digest ${JSON.stringify(digest)} must be "sha256:" and 64 lowercase hex digits`);
    const size = t.int('size');
    if (size < 1) t.issue('size', 'size', 'size must be the positive byte size of the image manifest');
    return { ...readTargetCommon(t), digest, size };
  });
  checkTargets(targets, storage, 'targets', errors, warnings);
  const fresh = readFreshness(f, tree);
  return { value: { version, product, storage, targets, update_type, ...fresh }, errors, warnings };
}

/** RFC 3339 date-time with a zone (`Z` or an offset), seconds required, fractions allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** `serial` (a non-negative integer, at most 2^53-1) and `expires` (RFC 3339), when present. */
function readFreshness(f: Fields, tree: Tree): Pick<InstallManifest, 'serial' | 'expires'> {
  const out: Pick<InstallManifest, 'serial' | 'expires'> = {};
  if (tree.serial !== undefined && tree.serial !== null) {
    const serial = f.int('serial');
    if (serial < 0) f.issue('serial', 'serial', `serial ${serial} must not be negative`);
    out.serial = serial;
  }
  if (tree.expires !== undefined && tree.expires !== null) {
    const expires = f.string('expires');
    if (!RFC3339.test(expires) || Number.isNaN(Date.parse(expires))) {
      f.issue('expires', 'expires', `expires ${JSON.stringify(expires)} must be an RFC 3339 time such as 2027-01-31T00:00:00Z`);
    }
    out.expires = expires;
  }
  return out;
}

export function readUpdateType(f: Fields, warnings: Issue[]): UpdateType {
  const v = f.string('update_type');
  if (v === '') {
    warnings.push({ path: f.at('update_type'), rule: 'default', message: 'update_type is empty; treated as "partial"' });
    return 'partial';
  }
  if (!(UPDATE_TYPES as readonly string[]).includes(v)) {
    f.issue('update_type', 'update-type', `update_type ${JSON.stringify(v)} must be "complete" or "partial"`);
  }
  return v as UpdateType;
}
