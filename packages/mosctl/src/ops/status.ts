import { existsSync } from 'node:fs';
import { listMolecules } from '@mos/atomfs';
import { findRollbackTarget, loadVerifiedState, readCommittedState, stateHistory, statePaths, storeTargetCheck, type SystemManifest, type Target } from '@mos/manifest';
import { scratchDir } from '@mos/bringup';
import { serviceStatus, type ServicesStatus } from '@mos/services';

/** Bumped when a field changes meaning or disappears; adding fields does not bump it. */
export const STATUS_SCHEMA_VERSION = 1;

/** One target in `mosctl status --json` (the schema is written down in the README). */
export interface TargetStatus {
  name: string;
  type: Target['service_type'];
  version: string;
  digest: string;
  size: number;
  nsgroup: string;
  network: Target['network'];
  /** sha256 of the install manifest that defines it. */
  install: string;
  /** Where it is mounted now (atomfs roots under this root's scratch), and how each layer is protected. */
  mounts: { dest: string; writable: boolean; layers: LayerProtection[] }[];
}

/** How one mounted layer is protected (atomfs records it at mount time). */
export interface LayerProtection {
  id: string;
  backend: string;
  /** `enforced` (kernel dm-verity checks every read), `verified-at-mount` or `unverified`. */
  protection: string;
  /** What that protection means, in words, including what it does not cover. */
  detail: string;
}

const PROTECTION_DETAIL: Record<string, string> = {
  enforced: 'kernel dm-verity checks every block on every read',
  'verified-at-mount': 'whole layer re-hashed in userspace before mounting; changes to the file after that check are NOT detected',
  unverified: 'mounted without a root hash (insecure): nothing is checked',
};

export interface HistoryItem {
  commit: string;
  time: string;
  message: string;
}

export interface StatusReport {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  root: string;
  installed: boolean;
  /** True when every signature, chain, product and image checked out. */
  verified: boolean;
  /** Why verification failed (the error's code and message), when it did. */
  error?: { code?: string; message: string };
  product?: string;
  commit?: string;
  caPath?: string;
  installs?: { sha256: string; signer?: string; updateType: string; targets: number }[];
  targets?: TargetStatus[];
  uidmaps?: SystemManifest['uidmaps'];
  storage?: SystemManifest['storage'];
  /** The last state changes, newest first. */
  history?: HistoryItem[];
  /** The greatest install-manifest serial applied here: an update must carry a greater one. */
  newestSerial?: number;
  /** The state `mosctl rollback` (without `--to`) would make current again; absent when there is none. */
  rollbackTarget?: HistoryItem;
  /** The most recent rollback among the last 50 states (its message says to what and why). */
  lastRollback?: HistoryItem;
  /** The supervisor and each service: state, pid, restarts, last exit, address, ports, health (see @mos/services). */
  services?: ServicesStatus['services'];
  supervisor?: ServicesStatus['supervisor'];
}

/**
 * `mosctl status`: the installed state, verified as a boot would verify it, with where each
 * target is mounted now. When verification fails the report still shows the committed state
 * (read without trusting it) and says why; `verified` is false.
 */
export async function status(opts: { root?: string; manifestCa?: string; historyDepth?: number } = {}): Promise<StatusReport> {
  const root = opts.root ?? '/';
  const base = { schemaVersion: STATUS_SCHEMA_VERSION, root } as const;
  if (!existsSync(statePaths(root).manifestGit)) return { ...base, installed: false, verified: false };
  const { configDir } = statePaths(root);
  const molecules = existsSync(scratchDir(root)) ? (await listMolecules({ scratch: scratchDir(root) })).filter((m) => m.mounted) : [];
  const mountsOf = (t: Target) =>
    molecules
      .filter((m) => m.source?.target === t.service_name && m.source?.manifest === t.digest)
      .map((m) => ({
        dest: m.dest,
        writable: m.writable,
        layers: m.layers.map((l) => ({ id: l.id, backend: l.backend, protection: l.protection, detail: PROTECTION_DETAIL[l.protection] ?? l.protection })),
      }));
  const item = (h: { commit: string; time: Date; message: string }): HistoryItem => ({ commit: h.commit, time: h.time.toISOString(), message: h.message });
  const recent = (await stateHistory({ configDir, depth: Math.max(50, opts.historyDepth ?? 10) })).map(item);
  const history = recent.slice(0, opts.historyDepth ?? 10);
  const lastRollback = recent.find((h) => h.message.startsWith('Rollback to '));
  const target = await findRollbackTarget({ configDir }).catch(() => undefined);
  const lifecycle = { ...(target && { rollbackTarget: item(target) }), ...(lastRollback && { lastRollback }) };
  const svc = serviceStatus({ root });
  const runtime = { services: svc.services, supervisor: svc.supervisor };
  try {
    const s = await loadVerifiedState({ root, ca: opts.manifestCa, checkTarget: await storeTargetCheck(root) });
    return {
      ...base,
      installed: true,
      verified: true,
      product: s.product,
      commit: s.commit,
      caPath: s.caPath,
      installs: [...s.installs.values()].map((i) => ({ sha256: i.sha256, signer: i.signer, updateType: i.manifest.update_type, targets: i.manifest.targets.length })),
      targets: s.targets.map((t) => targetStatus(t.target, t.install, mountsOf(t.target))),
      uidmaps: s.system.uidmaps,
      storage: s.system.storage,
      history,
      ...(s.system.newest_serial !== undefined && { newestSerial: s.system.newest_serial }),
      ...lifecycle,
      ...runtime,
    };
  } catch (e) {
    const committed = await readCommittedState({ configDir }).catch(() => undefined);
    return {
      ...base,
      installed: true,
      verified: false,
      error: { code: (e as { code?: string }).code, message: (e as Error).message },
      commit: committed?.commit,
      uidmaps: committed?.system.uidmaps,
      storage: committed?.system.storage,
      history,
      ...(committed?.system.newest_serial !== undefined && { newestSerial: committed.system.newest_serial }),
      ...lifecycle,
      ...runtime,
    };
  }
}

function targetStatus(t: Target, install: string, mounts: TargetStatus['mounts']): TargetStatus {
  return { name: t.service_name, type: t.service_type, version: t.version, digest: t.digest, size: t.size, nsgroup: t.nsgroup, network: t.network, install, mounts };
}
