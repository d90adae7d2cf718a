import { existsSync } from 'node:fs';
import { listMolecules } from '@mos/atomfs';
import { findRollbackTarget, readSource, readStaged, type SourceRecord, loadVerifiedState, pendingFor, readLifecycle, type LifecycleRecord, type PendingRecord, readCommittedState, stateHistory, statePaths, storeTargetCheck, type SystemManifest, type Target } from '@mos/manifest';
import { scratchDir } from '@mos/bringup';
import { serviceStatus, type ServicesStatus } from '@mos/services';
import { judgeTrial, trialStart } from './trial-verdict';
import { bootedCommit, containerTargetsOf } from './watch-trial';

/**
 * Bumped when a field changes meaning or disappears, and for the update lifecycle (issue 10):
 * 2 adds booted/pending/staged states, rollback target, confirm deadline, last (automatic)
 * rollback, newest serial and source. Within a version, fields may only be added.
 */
export const STATUS_SCHEMA_VERSION = 2;

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
  /**
   * The trial of the current state after an update or rollback, absent once it is confirmed:
   * when its trial started and its deadline (absent while it waits for services or a boot),
   * and where it stands in words (`waiting`).
   */
  pending?: PendingRecord & { trialStarted?: string; deadline?: string; waiting: string; overdue: boolean };
  /** The last confirmed state, when and by whom (`auto` or `hand`). */
  confirmed?: LifecycleRecord['confirmed'];
  /** The last automatic rollback: from and to which state, why, each service at fault with its last exit and log tail. */
  lastAutoRollback?: LifecycleRecord['lastAutoRollback'];
  /**
   * An update downloaded and verified but not applied (`update --download-only`; `update
   * --apply` applies it): its install manifest, serial, where it came from, when, and the state
   * it was staged on. Not re-verified here: `--apply` does that.
   */
  staged?: { sha256: string; serial: number; url: string; at: string; basedOn: string };
  /** Where `mosctl update` without a URL fetches from (set by install and `mosctl switch`). */
  source?: Omit<SourceRecord, 'schema'>;
  /** The state bringup booted (from R/run/mos/booted.json), on a booted machine. */
  bootedCommit?: string;
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
  const lifecycle: Partial<StatusReport> = { ...(target && { rollbackTarget: item(target) }), ...(lastRollback && { lastRollback }) };
  const svc = serviceStatus({ root });
  const runtime = { services: svc.services, supervisor: svc.supervisor };
  Object.assign(lifecycle, await trialReport(root, recent, svc), await stagedReport(root));
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

/** The staged update and the recorded source, as their (unsigned) records hold them. */
async function stagedReport(root: string): Promise<Partial<StatusReport>> {
  const [staged, source] = await Promise.all([readStaged(root), readSource(root)]);
  return {
    ...(staged && !staged.applied && { staged: { sha256: staged.signed.sha256, serial: staged.serial, url: staged.url, at: staged.at, basedOn: staged.basedOn } }),
    ...(source && { source: { url: source.url, since: source.since } }),
  };
}

function targetStatus(t: Target, install: string, mounts: TargetStatus['mounts']): TargetStatus {
  return { name: t.service_name, type: t.service_type, version: t.version, digest: t.digest, size: t.size, nsgroup: t.nsgroup, network: t.network, install, mounts };
}

/** The lifecycle part of the report: the pending trial as the watch sees it now, the last confirmation and automatic rollback. */
async function trialReport(root: string, recent: HistoryItem[], svc: ServicesStatus): Promise<Partial<StatusReport>> {
  const record = await readLifecycle(root);
  const booted = await bootedCommit(root);
  const out: Partial<StatusReport> = { ...(record.confirmed && { confirmed: record.confirmed }), ...(record.lastAutoRollback && { lastAutoRollback: record.lastAutoRollback }), ...(booted && { bootedCommit: booted }) };
  const head = recent[0]?.commit;
  const p = head ? pendingFor(record, head, recent[1]?.commit) : undefined;
  if (!p || !head) return out;
  // An unreadable state: the trial is shown without the services it waits for.
  const containers = await containerTargetsOf(root, head).catch(() => []);
  const view = { pending: { ...p, commit: head }, containers, supervisor: svc.supervisor, services: svc.services, bootedCommit: booted, now: new Date() };
  const start = trialStart(view);
  const v = judgeTrial(view);
  const deadline = start && new Date(start.getTime() + p.timeoutSeconds * 1000);
  const waiting = v.action === 'wait' || v.action === 'overdue' ? v.why : v.action === 'confirm' ? 'every service healthy: the watch confirms it' : `deadline passed: the watch rolls back (${v.reason})`;
  return { ...out, pending: { ...p, commit: head, ...(start && { trialStarted: start.toISOString(), deadline: deadline!.toISOString() }), waiting, overdue: v.action === 'overdue' } };
}
