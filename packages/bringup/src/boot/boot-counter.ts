import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pendingFor, readLifecycle, stateHistory, statePaths } from '@mos/manifest';
import type { BootSys } from './boot-sys';

/** What bringup decided about the state to boot, as it records it for the booted system. */
export interface BootChoice {
  /** A full commit id to boot instead of the head; undefined boots the head. */
  commit?: string;
  /** Set when the head is on trial for a hostfs/bootkit change (see {@link bootCounter}). */
  trial?: { head: string; previous: string; tries: number; maxTries: number; fellBack: boolean };
}

/**
 * Boot-count seam: which committed state to boot. Whatever it picks is verified in full like
 * the head would be: the selector chooses among signed states, it cannot vouch for one.
 */
export interface StateSelector {
  select(ctx: { base: string; log: (s: string) => void }): Promise<BootChoice>;
}

/** Where the count lives: on scratch, the one partition the initrd mounts read-write. */
export const bootCountPath = (base: string) => join(base, 'scratch-writes', 'mos', 'boot-count.json');

/** What the booted system reads to know which state it runs (`R/run/mos/booted.json`). */
export const bootedPath = (base: string) => join(base, 'run', 'mos', 'booted.json');

interface BootCount {
  /** The head commit on trial the count is for; a new head starts again at 0. */
  commit: string;
  tries: number;
}

async function readCount(base: string): Promise<BootCount | undefined> {
  try {
    const c = JSON.parse(await readFile(bootCountPath(base), 'utf8'));
    return typeof c?.commit === 'string' && Number.isSafeInteger(c.tries) && c.tries >= 0 ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Boot counting for a state whose hostfs or bootkit changed (issue 10 §4): while the head's
 * trial (R/config/lifecycle.json) waits for a boot, each boot of it is counted on scratch,
 * durably **before** it is booted (a panic right after must not lose the count). Once it has
 * been booted `maxTries` times without being confirmed, the previous state boots instead, and
 * keeps booting until a new state is committed; the booted system's trial watch then records
 * the rollback. A state on trial only for container changes boots as it is (its services are
 * judged after boot). The count and the lifecycle record are not trusted for *what* boots --
 * both candidates are signed states, verified in full -- only for *which* of the two.
 */
export function bootCounter(opts: { sys: BootSys; maxTries: number }): StateSelector {
  return {
    async select({ base, log }) {
      let history: { commit: string }[];
      try {
        history = await stateHistory({ configDir: statePaths(base).configDir, depth: 2 });
      } catch {
        return {}; // No readable state: the verification that follows says so, naming it.
      }
      const [head, parent] = history;
      const pending = pendingFor(await readLifecycle(base), head.commit, parent?.commit);
      if (!pending?.nextBoot.length) return {};
      const count = await readCount(base);
      const tries = count?.commit === head.commit ? count.tries : 0;
      const trial = { head: head.commit, previous: pending.previous, maxTries: opts.maxTries };
      if (tries >= opts.maxTries) {
        log(`state ${head.commit.slice(0, 12)} (${pending.nextBoot.join(', ')} changed) was booted ${tries} times without being confirmed: booting the previous state ${pending.previous.slice(0, 12)}`);
        return { commit: pending.previous, trial: { ...trial, tries, fellBack: true } };
      }
      await opts.sys.mkdirp(join(base, 'scratch-writes', 'mos'), 0o700);
      await opts.sys.writeFileDurable(bootCountPath(base), JSON.stringify({ commit: head.commit, tries: tries + 1 }) + '\n');
      log(`state ${head.commit.slice(0, 12)} is on trial (${pending.nextBoot.join(', ')} changed): boot ${tries + 1} of ${opts.maxTries}`);
      return { trial: { ...trial, tries: tries + 1, fellBack: false } };
    },
  };
}
