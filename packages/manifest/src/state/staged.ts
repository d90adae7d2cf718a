import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile, syncDir } from '../git/atomic-fs';
import type { SignedInstall } from '../git/state-repo';
import { statePaths } from './paths';

/**
 * An update downloaded but not applied (`mosctl update --download-only`): the signed install
 * manifest as it was fetched, where it came from, and the state it was staged on. Its images
 * are in the store and `gc` keeps them. `mosctl update --apply` verifies the manifest again,
 * as if it had just been fetched, and commits it.
 */
export interface StagedRecord {
  schema: 1;
  /** The reference it was fetched from. */
  url: string;
  /** The state that was current when it was staged (the plan shown then was against it). */
  basedOn: string;
  /** When it was staged (ISO 8601). */
  at: string;
  /** The manifest's signed serial (0 without one), as staged; re-read from the bytes on apply. */
  serial: number;
  /** The signed install manifest. Its `sha256` is computed from `json` when read, never taken from the file. */
  signed: SignedInstall;
  /**
   * Set once `update --apply` committed it: the record stays, so a retry of an apply that a
   * kill interrupted (or a second apply) says "applied already" instead of failing.
   */
  applied?: { commit: string; at: string };
}

/** Where the staged update lives: next to the state it would change. */
export const stagedPath = (root: string) => join(statePaths(root).configDir, 'staged.json');

const HEX40 = /^[0-9a-f]{40}$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the staged update of `root`; undefined when there is none or the file is not one (it
 * lives on an attacker-writable disk: nothing in it is trusted before `verifyInstall`, and the
 * sha256 that names the manifest is recomputed from its bytes).
 */
export async function readStaged(root: string): Promise<StagedRecord | undefined> {
  let r: any;
  try {
    r = JSON.parse(await readFile(stagedPath(root), 'utf8'));
  } catch {
    return undefined;
  }
  const s = r?.signed;
  const ok =
    r?.schema === 1 &&
    typeof r.url === 'string' &&
    HEX40.test(r.basedOn) &&
    typeof r.at === 'string' &&
    !Number.isNaN(Date.parse(r.at)) &&
    Number.isSafeInteger(r.serial) &&
    [s?.json, s?.signature, s?.certificate].every((v) => typeof v === 'string' && B64.test(v));
  const a = r.applied;
  const applied = a === undefined ? undefined : HEX40.test(a?.commit) && typeof a.at === 'string' && !Number.isNaN(Date.parse(a.at)) ? { commit: a.commit as string, at: a.at as string } : null;
  if (!ok || applied === null) return undefined;
  const json = Buffer.from(s.json, 'base64');
  const signed = { sha256: createHash('sha256').update(json).digest('hex'), json, signature: Buffer.from(s.signature, 'base64'), certificate: Buffer.from(s.certificate, 'base64') };
  return { schema: 1, url: r.url, basedOn: r.basedOn, at: r.at, serial: r.serial, signed, ...(applied && { applied }) };
}

/** Records a staged update atomically (temp name, fsync, rename, fsync of the directory), replacing any earlier one. */
export async function writeStaged(root: string, rec: Omit<StagedRecord, 'schema'>): Promise<void> {
  const { sha256: _, ...signed } = rec.signed;
  const b64 = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  const doc = { schema: 1, url: rec.url, basedOn: rec.basedOn, at: rec.at, serial: rec.serial, sha256: rec.signed.sha256, signed: b64, ...(rec.applied && { applied: rec.applied }) };
  await atomicWriteFile(stagedPath(root), JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
}

/** Forgets the staged update (durably: the removal is fsynced). */
export async function clearStaged(root: string): Promise<void> {
  await rm(stagedPath(root), { force: true });
  await syncDir(statePaths(root).configDir);
}
