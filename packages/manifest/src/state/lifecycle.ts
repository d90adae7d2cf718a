import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '../git/atomic-fs';
import { stateHistory } from '../git/state-repo';
import { statePaths } from './paths';

/**
 * A state on trial after an update or a rollback: it becomes confirmed once its services have
 * proved healthy, or is rolled back from when they have not by the deadline.
 *
 * The record is written **before** the commit with `commit: null` and completed after it, so a
 * kill between the two still leaves the new state pending (see {@link pendingFor}); a kill
 * before the commit leaves a record that names the current state as `previous` and is ignored.
 */
export interface PendingRecord {
  /** The state on trial; null until its commit exists. */
  commit: string | null;
  /** The state before it: where an automatic rollback goes. */
  previous: string;
  kind: 'update' | 'rollback';
  /** When it was committed (ISO 8601). The trial starts then, or when services are next booted. */
  since: string;
  /** How long its services have to prove themselves once the trial started. */
  timeoutSeconds: number;
  /** How long every container service must stay running and healthy to confirm it. */
  settleSeconds: number;
  /** Roll back by itself when the deadline passes (false: stay pending, say so). */
  autoRollback: boolean;
  /** False when nothing is watched (`update --no-activate`): confirm or roll back by hand. */
  watch: boolean;
  /** Targets that take effect at the next boot (hostfs, bootkit): the trial waits for that boot. */
  nextBoot: string[];
}

/** One service that did not prove itself, as an automatic rollback records it. */
export interface Culprit {
  name: string;
  /** What was wrong, in words: "failed", "not running", "unhealthy", "runs another image". */
  problem: string;
  lastExit?: { code: number | null; signal: string | null; reason: string } | null;
  logTail?: string[];
}

/** What `R/config/lifecycle.json` holds. Not signed: it steers *when* to confirm or roll back, never *what* is trusted. */
export interface LifecycleRecord {
  schema: 1;
  pending?: PendingRecord;
  /** The trial in force while `pending` is half-written (no commit yet): it still applies if that commit never happens. */
  replacing?: PendingRecord;
  /** The last state confirmed, when and by whom (`auto`: the supervisor's watch; `hand`: `mosctl confirm`). */
  confirmed?: { commit: string; at: string; by: 'auto' | 'hand' };
  /** The last automatic rollback: from which state to which, the new commit, why, and the services at fault. */
  lastAutoRollback?: { from: string; to: string; commit: string; at: string; reason: string; services: Culprit[] };
}

/** Where the lifecycle record lives: next to the state it describes. */
export const lifecyclePath = (root: string) => join(statePaths(root).configDir, 'lifecycle.json');

const HEX40 = /^[0-9a-f]{40}$/;
const isTime = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s));
const isCommit = (s: unknown) => typeof s === 'string' && HEX40.test(s);

/**
 * Reads the lifecycle record of `root`. A missing file is an empty record; so is one that does
 * not parse or whose parts have the wrong shape (they are dropped one by one): the file lives
 * on an attacker-writable disk and only decides when to confirm or roll back to a state that
 * verifies anyway.
 */
export async function readLifecycle(root: string): Promise<LifecycleRecord> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(lifecyclePath(root), 'utf8'));
  } catch {
    return { schema: 1 };
  }
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, any>;
  const out: LifecycleRecord = { schema: 1 };
  const pending = validPending(r.pending);
  if (pending) out.pending = pending;
  const replacing = validPending(r.replacing);
  if (replacing?.commit) out.replacing = replacing;
  const c = r.confirmed;
  if (c && isCommit(c.commit) && isTime(c.at) && (c.by === 'auto' || c.by === 'hand')) out.confirmed = c;
  const a = r.lastAutoRollback;
  if (a && isCommit(a.from) && isCommit(a.to) && isCommit(a.commit) && isTime(a.at) && typeof a.reason === 'string' && Array.isArray(a.services)) out.lastAutoRollback = a;
  return out;
}

function validPending(p: any): PendingRecord | undefined {
  if (
    p &&
    (p.commit === null || isCommit(p.commit)) &&
    isCommit(p.previous) &&
    (p.kind === 'update' || p.kind === 'rollback') &&
    isTime(p.since) &&
    [p.timeoutSeconds, p.settleSeconds].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0) &&
    typeof p.autoRollback === 'boolean' &&
    typeof p.watch === 'boolean' &&
    Array.isArray(p.nextBoot) &&
    p.nextBoot.every((n: unknown) => typeof n === 'string')
  ) {
    return p as PendingRecord;
  }
  return undefined;
}

/** Replaces the lifecycle record atomically (temp name, fsync, rename, fsync of the directory). */
export async function writeLifecycle(root: string, record: LifecycleRecord): Promise<void> {
  await atomicWriteFile(lifecyclePath(root), JSON.stringify(record, null, 2) + '\n');
}

/**
 * The pending record that applies to the current state, or undefined when it is confirmed.
 * A record applies when it names the current commit, or when it was written just before a
 * commit that a kill kept it from naming (its `previous` is the current state's parent). When
 * that commit never happened, the trial it was replacing (if any) still applies.
 */
export function pendingFor(record: LifecycleRecord, head: string, parent: string | undefined): PendingRecord | undefined {
  const p = record.pending;
  if (p?.commit === head) return p;
  if (p && p.commit === null && parent !== undefined && p.previous === parent) return { ...p, commit: head };
  return p?.commit === null && record.replacing?.commit === head ? record.replacing : undefined;
}

/** The current state's pending record, read from `root` (head and parent from `master`). */
export async function currentPending(root: string): Promise<PendingRecord | undefined> {
  const [head, parent] = await stateHistory({ configDir: statePaths(root).configDir, depth: 2 });
  return pendingFor(await readLifecycle(root), head.commit, parent?.commit);
}
