import { createHash } from 'node:crypto';
import { InvalidManifestError, type Issue } from '../errors';
import type { ImportManifest, InstallManifest, SystemManifest } from '../types';
import type { Validated } from '../validate/common';
import { validateImportManifest } from '../validate/import';
import { validateInstallManifest } from '../validate/install';
import { validateSystemManifest } from '../validate/system';
import { parseJsonTree, parseYamlTree } from './tree';

/** A parsed `install.json`: the exact bytes (signatures are over them), their sha256, the value. */
export interface ParsedInstall {
  raw: Buffer;
  /** Lowercase hex sha256 of `raw`: the name of its files in manifest.git. */
  sha256: string;
  manifest: InstallManifest;
  warnings: Issue[];
}

function orThrow<T>(what: string, v: Validated<T>): T {
  if (v.errors.length) throw new InvalidManifestError(what, v.errors);
  return v.value;
}

/**
 * Parses and validates `install.json`, keeping its raw bytes. Throws the first problem
 * ({@link InvalidManifestError} carries all of them). Does not verify the signature.
 *
 * @example
 * import { loadInstallManifest } from '@mos/manifest';
 * const { manifest, sha256 } = loadInstallManifest(fs.readFileSync('install.json'));
 */
export function loadInstallManifest(raw: Buffer, what = 'install manifest'): ParsedInstall {
  const v = validateInstallManifest(parseJsonTree(raw, what));
  return { raw, sha256: sha256hex(raw), manifest: orThrow(what, v), warnings: v.warnings };
}

/**
 * Parses and validates an import manifest (`manifest.yaml`).
 *
 * @example
 * import { loadImportManifest } from '@mos/manifest';
 * const { manifest } = loadImportManifest(fs.readFileSync('manifest.yaml', 'utf8'));
 */
export function loadImportManifest(text: Buffer | string, what = 'import manifest'): { manifest: ImportManifest; warnings: Issue[] } {
  const v = validateImportManifest(parseYamlTree(text, what));
  return { manifest: orThrow(what, v), warnings: v.warnings };
}

/** Parses and validates a system manifest (`manifest.json` of manifest.git). */
export function loadSystemManifest(bytes: Buffer | string, what = 'manifest.json'): SystemManifest {
  return orThrow(what, validateSystemManifest(parseJsonTree(bytes, what)));
}

/** The bytes mos writes for a system manifest (keys in the original's order, then mos's `newest_serial` when set; 2-space JSON). */
export function serializeSystemManifest(sys: SystemManifest): Buffer {
  const ordered = { uidmaps: sys.uidmaps, targets: sys.targets, storage: sys.storage, ...(sys.newest_serial ? { newest_serial: sys.newest_serial } : {}) };
  return Buffer.from(JSON.stringify(ordered, null, 2) + '\n');
}

export const sha256hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
