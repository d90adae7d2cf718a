import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runOk, TOP } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Issue 10 §7: kill -9 of `update`, `update --apply`, `rollback`, `confirm` and `gc` at 50
// random moments each (scaled to the command's measured duration), then a retry. Whatever the
// moment, the root holds either the old or the new state, current and verifying (status exits
// 0: signatures, chain and every image), git fsck --strict and the store's fsck are clean, it is
// on the trial it should be for the state it holds, and the retry succeeds without manual
// cleanup. Each run starts from a copy of a root prepared once (the same bytes every time).
let w: World;
let v1: string;
let v2: string;
let S1: string;
let S2: string;
const KILLS = 50;

beforeAll(async () => {
  w = await makeWorld();
  v1 = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/crash:v1', ['--serial', '1']);
  v2 = await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/crash:v2', ['--serial', '2']);
  // The two states as every root has them (sources name install manifests by their sha256).
  const ref = makeRoot(w);
  await mosctl('install', '--rfs', ref, v1);
  S1 = stateOf(ref);
  await mosctl('update', '-r', ref, v2);
  S2 = stateOf(ref);
  expect(S1).not.toBe(S2);
});
afterAll(() => stopWorld(w));

const mosctl = (...args: string[]) => runOk('mosctl', args, { env: w.env });
const git = (root: string, ...args: string[]) => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), ...args], { encoding: 'utf8' }).trim();
/** What a state is: its targets and their install manifests (the serial only ever grows). */
const stateOf = (root: string, rev = 'master') => JSON.stringify(JSON.parse(git(root, 'show', `${rev}:manifest.json`)).targets);
/**
 * `git fsck --strict` of the root's state: its exit status and everything it printed. Objects a
 * killed write made but no ref reaches yet ("dangling", git's normal garbage) are not listed.
 */
function fsck(root: string): { status: number | null; said: string } {
  const r = spawnSync('git', ['-C', join(root, 'config', 'manifest.git'), 'fsck', '--strict', '--no-dangling'], { encoding: 'utf8' });
  return { status: r.status, said: (r.stdout + r.stderr).trim() };
}
const statusOf = async (root: string) => JSON.parse((await mosctl('status', '--rfs', root, '--json')).stdout);

/** Runs `mosctl args`, killed with SIGKILL after `killAfter` ms (never when undefined); resolves with its duration. */
async function runKilled(args: string[], killAfter?: number): Promise<number> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(TOP, 'packages/mosctl/bin/mosctl.js'), ...args], { stdio: 'ignore', env: { ...process.env, ...w.env } });
  const exited = new Promise((r) => child.once('exit', r));
  const timer = killAfter === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter);
  await exited;
  clearTimeout(timer);
  return Date.now() - t0;
}

interface KillCase {
  what: string;
  /** Brings a fresh root to the state the command starts from (run once; later runs copy it). */
  prepare: (root: string) => Promise<void>;
  args: (root: string) => string[];
  /** The state before and after the command. */
  from: () => string;
  to: () => string;
  /** The trial kinds (undefined: confirmed) a root may be on after a kill, given the state it holds. */
  trialAfterKill: (isNew: boolean) => (string | undefined)[];
  /** What a kill left, in a word, for the figures (default: "old state" / "new state"). */
  outcome?: (root: string, st: { pending?: unknown }) => Promise<string> | string;
  /** Checks after the retry, beyond "the state is `to`". */
  afterRetry?: (root: string) => Promise<void>;
}

/**
 * Each run: a copy of the prepared root, the command killed at a random moment, the invariants
 * checked, then the command again must end on `to`. The first run is not killed: it calibrates,
 * and later kills land anywhere within 1.2 times its duration.
 */
async function killLoop(c: KillCase): Promise<void> {
  const template = makeRoot(w);
  await c.prepare(template);
  let duration = 0;
  const seen = new Map<string, number>();
  const t0 = Date.now();
  for (let i = 0; i <= KILLS; i++) {
    const root = makeRoot(w);
    try {
      execFileSync('cp', ['-a', `${template}/.`, root]);
      expect(stateOf(root)).toBe(c.from());
      const took = await runKilled(c.args(root), i === 0 ? undefined : Math.random() * duration * 1.2);
      if (i === 0) duration = took;
      // Whatever the moment: one of the two states, whole and verifying.
      const now = stateOf(root);
      expect([c.from(), c.to()]).toContain(now);
      const isNew = c.from() !== c.to() && now === c.to();
      // Clean; at most it notes temp files of the killed writes in objects/ ("bad sha1 file"),
      // which no reader looks at and the next state-changing command removes (checked below).
      const afterKill = fsck(root);
      expect(afterKill.status).toBe(0);
      for (const l of afterKill.said.split('\n').filter(Boolean)) expect(l).toMatch(/^bad sha1 file: \.git\/objects\/[0-9a-f]{2}\/\.[0-9a-f]{38}\.tmp-[0-9a-f]{12}$/);
      await mosctl('store', 'fsck', join(root, 'atomfs-store', 'mos'));
      // status exits 0: the current state verifies, its images included; it is on a trial it may be on.
      const st = await statusOf(root);
      if (i > 0) {
        const o = c.outcome ? await c.outcome(root, st) : isNew ? 'new state' : 'old state';
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }
      if (st.pending) expect(st.pending.commit).toBe(git(root, 'rev-parse', 'master'));
      expect(c.trialAfterKill(isNew)).toContain(st.pending?.kind);
      // The same command again finishes the job, with no cleanup by hand.
      await mosctl(...c.args(root));
      expect(stateOf(root)).toBe(c.to());
      expect(fsck(root)).toEqual({ status: 0, said: '' });
      await c.afterRetry?.(root);
      if (i % 10 === 0) {
        await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', join(root, 'sysroot'));
        await mosctl('umount', join(root, 'sysroot'));
      }
    } finally {
      expect(cleanupMounts(root)).toEqual([]);
    }
  }
  const per = ((Date.now() - t0) / (KILLS + 1) / 1000).toFixed(1);
  const figures = [...seen].map(([o, n]) => `${n} ${o}`).join(', ');
  console.log(`${c.what} takes ~${duration} ms here; after ${KILLS} kill -9 at random moments: ${figures}; every retry succeeded (${per} s a run)`);
}

const install = (root: string) => mosctl('install', '--rfs', root, v1);
const firstCommit = (root: string) => git(root, 'rev-list', '--max-parents=0', 'master');

test('kill -9 of update at random moments, then a retry', async () => {
  await killLoop({
    what: 'update',
    prepare: async (root) => void (await install(root)),
    args: (root) => ['update', '-r', root, v2],
    from: () => S1,
    to: () => S2,
    trialAfterKill: (isNew) => [isNew ? 'update' : undefined],
  });
});

test('kill -9 of update --apply at random moments, then a retry (a stage applied already is recognised as such)', async () => {
  await killLoop({
    what: 'update --apply',
    prepare: async (root) => {
      await install(root);
      await mosctl('update', '--download-only', '-r', root, v2);
    },
    args: (root) => ['update', '--apply', '-r', root],
    from: () => S1,
    to: () => S2,
    trialAfterKill: (isNew) => [isNew ? 'update' : undefined],
    afterRetry: async (root) => {
      const st = await statusOf(root);
      expect({ staged: st.staged, pending: st.pending?.kind }).toEqual({ staged: undefined, pending: 'update' });
      expect(JSON.parse(readFileSync(join(root, 'config', 'staged.json'), 'utf8')).applied.commit).toBe(git(root, 'rev-parse', 'master'));
    },
  });
});

test('kill -9 of rollback at random moments, then a retry (--to: a retry never flips back)', async () => {
  await killLoop({
    what: 'rollback',
    prepare: async (root) => {
      await install(root);
      await mosctl('update', '-r', root, v2);
    },
    args: (root) => ['rollback', '-r', root, '--to', firstCommit(root)],
    from: () => S2,
    to: () => S1,
    // The updated state is on trial until the rollback's commit exists.
    trialAfterKill: (isNew) => [isNew ? 'rollback' : 'update'],
  });
});

test('kill -9 of confirm at random moments, then a retry', async () => {
  await killLoop({
    what: 'confirm',
    prepare: async (root) => {
      await install(root);
      await mosctl('update', '-r', root, v2);
    },
    args: (root) => ['confirm', '--rfs', root],
    from: () => S2,
    to: () => S2,
    // One atomic write: still on trial, or confirmed.
    trialAfterKill: () => ['update', undefined],
    outcome: (_root, st) => (st.pending ? 'still pending' : 'confirmed'),
    afterRetry: async (root) => {
      const st = await statusOf(root);
      expect({ pending: st.pending, confirmed: st.confirmed?.commit }).toEqual({ pending: undefined, confirmed: git(root, 'rev-parse', 'master') });
    },
  });
});

test('kill -9 of gc at random moments, then a retry (the replaced images go, the current ones stay)', async () => {
  let v1Only: string[] = [];
  await killLoop({
    what: 'gc --keep 0',
    prepare: async (root) => {
      await install(root);
      await mosctl('update', '-r', root, v2);
      await mosctl('confirm', '--rfs', root);
      v1Only = JSON.parse((await mosctl('gc', '--rfs', root, '--keep', '0', '--dry-run', '--json')).stdout).removedImages;
      expect(v1Only).toHaveLength(1);
    },
    args: (root) => ['gc', '--rfs', root, '--keep', '0'],
    from: () => S2,
    to: () => S2,
    trialAfterKill: () => [undefined],
    outcome: async (root) => {
      const left = JSON.parse((await mosctl('gc', '--rfs', root, '--keep', '0', '--dry-run', '--json')).stdout);
      return left.removedImages.length ? 'image left' : left.removedBlobs ? 'blobs left' : 'all collected';
    },
    afterRetry: async (root) => {
      const again = JSON.parse((await mosctl('gc', '--rfs', root, '--keep', '0', '--dry-run', '--json')).stdout);
      expect({ images: again.removedImages, blobs: again.removedBlobs }).toEqual({ images: [], blobs: 0 });
      const ls = (await mosctl('store', 'ls', `oci:${join(root, 'atomfs-store', 'mos')}`)).stdout;
      for (const d of v1Only) expect(ls).not.toContain(d);
    },
  });
});
