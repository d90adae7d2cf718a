import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { cleanupMounts, runOk, TOP } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// Issue 10 §7: kill -9 of `update` and `rollback` at random moments, then a retry. Whatever the
// moment, the root holds either the old or the new state, current and verifying, git fsck
// --strict and the store's fsck are clean, it is on trial exactly when it is the new state (or
// when the old one was), and the retry succeeds without manual cleanup.
let w: World;
let v1: string;
let v2: string;
let S1: string;
let S2: string;
const KILLS = 12;

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

/**
 * Each run: a fresh root prepared (its state `from`), `args` killed at a random moment, the
 * invariants checked, then `args` again must end on `to`.
 */
async function killLoop(
  what: string,
  from: () => string,
  to: () => string,
  prepare: (root: string) => Promise<void>,
  args: (root: string) => string[],
  trial: { from: string | undefined; to: string },
): Promise<void> {
  let duration = 0;
  const seen = { old: 0, new: 0 };
  for (let i = 0; i <= KILLS; i++) {
    const root = makeRoot(w);
    try {
      await prepare(root);
      expect(stateOf(root)).toBe(from());
      // The first run is not killed: it calibrates; later kills land anywhere within it.
      const took = await runKilled(args(root), i === 0 ? undefined : Math.random() * duration * 1.2);
      if (i === 0) duration = took;
      // Whatever the moment: one of the two states, whole and verifying.
      const now = stateOf(root);
      expect([from(), to()]).toContain(now);
      if (i > 0) seen[now === to() ? 'new' : 'old']++;
      git(root, 'fsck', '--strict');
      await mosctl('store', 'fsck', join(root, 'atomfs-store', 'mos'));
      // exit 0: the current state verifies, its images included; it is on the trial it should be.
      const st = JSON.parse((await mosctl('status', '--rfs', root, '--json')).stdout);
      const kind = now === to() ? trial.to : trial.from;
      expect(st.pending ? { kind: st.pending.kind, commit: st.pending.commit } : undefined).toEqual(kind && { kind, commit: git(root, 'rev-parse', 'master') });
      // The same command again finishes the job, with no cleanup by hand.
      await mosctl(...args(root));
      expect(stateOf(root)).toBe(to());
      await mosctl('create-boot-fs', '--readonly', '--rfs', root, '--dest', join(root, 'sysroot'));
      await mosctl('umount', join(root, 'sysroot'));
    } finally {
      expect(cleanupMounts(root)).toEqual([]);
    }
  }
  console.log(`${what} takes ~${duration} ms here; after ${KILLS} kill -9 at random moments: ${seen.old} roots had the old state, ${seen.new} the new one; every retry succeeded`);
}

test('kill -9 of update at random moments, then a retry', async () => {
  await killLoop('update', () => S1, () => S2, (root) => mosctl('install', '--rfs', root, v1).then(() => undefined), (root) => ['update', '-r', root, v2], { from: undefined, to: 'update' });
});

test('kill -9 of rollback at random moments, then a retry (--to: a retry never flips back)', async () => {
  const first = new Map<string, string>();
  await killLoop(
    'rollback',
    () => S2,
    () => S1,
    async (root) => {
      await mosctl('install', '--rfs', root, v1);
      first.set(root, git(root, 'rev-parse', 'master'));
      await mosctl('update', '-r', root, v2);
    },
    (root) => ['rollback', '-r', root, '--to', first.get(root)!],
    // The updated state is on trial until the rollback's commit exists.
    { from: 'update', to: 'rollback' },
  );
});
