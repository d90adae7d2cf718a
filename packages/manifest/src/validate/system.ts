import type { Issue } from '../errors';
import type { SystemManifest, SysTarget, UidMap } from '../types';
import { readName, readStorageItems, type Validated } from './common';
import { Fields, type Tree } from './fields';

/** The file name of an install manifest in manifest.git: its sha256 and `.json`. */
export const SOURCE_FILE = /^[0-9a-f]{64}\.json$/;

const MAX_UID = 2 ** 32 - 1;

/**
 * Stage 2 for `manifest.json`: types and validates a decoded system manifest. Keys the
 * original also wrote (`OCIManifest`, `OCIConfig`, `DefaultNic`, `UsedPorts`, `IpAddrs`) are
 * tolerated and dropped: they are always re-read from the store.
 */
export function validateSystemManifest(tree: Tree): Validated<SystemManifest> {
  const errors: Issue[] = [];
  const f = new Fields(tree, '', errors);
  const uidmaps: UidMap[] = f.list('uidmaps').map((u) => {
    const hostid = u.int('hostid');
    if (hostid < 1 || hostid > MAX_UID) u.issue('hostid', 'uid', `hostid ${hostid} is not a valid host uid`);
    return { 'idmap-name': readName(u, 'idmap-name', 'nsgroup'), hostid };
  });
  const names = new Set<string>();
  const targets: SysTarget[] = f.list('targets').map((t) => {
    const name = readName(t, 'name', 'target name');
    if (names.has(name)) t.issue('name', 'duplicate', `target "${name}" is listed twice`);
    names.add(name);
    const source = t.string('source');
    if (!SOURCE_FILE.test(source)) t.issue('source', 'source', `source ${JSON.stringify(source)} must be "<sha256 hex>.json"`);
    return { name, source };
  });
  const storage = readStorageItems(f);
  const value: SystemManifest = { uidmaps, targets, storage };
  if (tree.newest_serial !== undefined && tree.newest_serial !== null) {
    value.newest_serial = f.int('newest_serial');
    if (value.newest_serial < 0) f.issue('newest_serial', 'serial', `newest_serial ${value.newest_serial} must not be negative`);
  }
  return { value, errors, warnings: [] };
}
