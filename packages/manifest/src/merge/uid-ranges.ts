import { readFileSync } from 'node:fs';
import { UidsExhaustedError } from '../errors';
import type { UidMap } from '../types';
import { isNoNsgroup } from '../validate/rules';

/** Where nsgroup ranges start and how wide each is. */
export interface UidRangePolicy {
  start: number;
  size: number;
}

/** On a host with the full uid map: 65536 ids per nsgroup from 100000. */
export const HOST_POLICY: UidRangePolicy = { start: 100000, size: 65536 };
/** Nested (already in a user namespace): the original's small ranges from 40000. */
export const NESTED_POLICY: UidRangePolicy = { start: 40000, size: 2000 };

const UID_LIMIT = 2 ** 32 - 1;

/** The policy for this process: full host uid map (`0 0 4294967295`) or nested. */
export function uidRangePolicy(uidMap: string = readFileSync('/proc/self/uid_map', 'utf8')): UidRangePolicy {
  return uidMap.trim().split(/\s+/).join(' ') === '0 0 4294967295' ? HOST_POLICY : NESTED_POLICY;
}

/**
 * Gives every nsgroup (in order; `""`/`none` and repeats skipped) a host uid range. A group
 * the previous system had keeps its hostid; a new group takes the lowest free range of
 * `policy.size` ids from `policy.start` that overlaps no kept range and no previous range --
 * also not one of a group this update drops, so files a dropped group owned (persistent
 * volumes) never become a new group's. This fixes the original's BUG 3, where every nsgroup
 * got the same range.
 *
 * @example
 * import { allocateUidMaps, HOST_POLICY } from '@mos/manifest';
 * allocateUidMaps({ nsgroups: ['web', 'db'], previous: [], policy: HOST_POLICY });
 * // [{ 'idmap-name': 'web', hostid: 100000 }, { 'idmap-name': 'db', hostid: 165536 }]
 */
export function allocateUidMaps(opts: { nsgroups: string[]; previous: UidMap[]; policy: UidRangePolicy }): UidMap[] {
  const { policy } = opts;
  const prev = new Map(opts.previous.map((m) => [m['idmap-name'], m.hostid]));
  const taken = opts.previous.map((m) => m.hostid);
  const out: UidMap[] = [];
  for (const g of opts.nsgroups) {
    if (isNoNsgroup(g) || out.some((m) => m['idmap-name'] === g)) continue;
    let hostid = prev.get(g);
    if (hostid === undefined) {
      hostid = firstFree(taken, policy);
      taken.push(hostid);
    }
    out.push({ 'idmap-name': g, hostid });
  }
  return out;
}

function firstFree(taken: number[], policy: UidRangePolicy): number {
  const ranges = [...taken].sort((a, b) => a - b);
  let candidate = policy.start;
  for (const start of ranges) {
    if (start + policy.size <= candidate) continue; // entirely below the candidate
    if (start >= candidate + policy.size) break; // the gap before it fits
    candidate = start + policy.size;
  }
  if (candidate + policy.size - 1 > UID_LIMIT) {
    throw new UidsExhaustedError(`no free range of ${policy.size} host uids is left for a new nsgroup`);
  }
  return candidate;
}
