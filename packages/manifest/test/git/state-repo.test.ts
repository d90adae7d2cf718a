import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AlreadyInstalledError,
  commitState,
  HOST_POLICY,
  initState,
  StateCorruptError,
  loadInstallManifest,
  NoStateError,
  readCommittedState,
  stateHistory,
  systemForInstall,
  systemForUpdate,
  type SignedInstall,
  type StateSnapshot,
} from '@mos/manifest';
import { DIGEST_B, install, target } from '../helpers/fixtures';
import { gitCli, makeKeys, makeRoot, rmrf, signInstall, type TestKeys } from '../helpers/signed';

let keys: TestKeys;
let root: string;
const configDir = () => join(root, 'config');
const repoDir = () => join(root, 'config', 'manifest.git');

function snapshot(signed: SignedInstall): StateSnapshot {
  return { system: systemForInstall(loadInstallManifest(signed.json), HOST_POLICY), installs: [signed] };
}

beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(() => rmrf(keys?.dir));
beforeEach(() => {
  root = makeRoot(keys);
});
afterEach(() => rmrf(root));

describe('manifest.git', () => {
  test('an install writes what git reads: one "Initial commit" by machine, exactly the state files, fsck clean', async () => {
    const signed = signInstall(install({ product: keys.product }), keys);
    const oid = await initState({ configDir: configDir(), state: snapshot(signed) });
    expect(gitCli(repoDir(), 'log', '--format=%H|%an <%ae>|%cn <%ce>|%s', 'master').trim()).toBe(
      `${oid}|machine <root@machine.local>|machine <root@machine.local>|Initial commit`,
    );
    const sha = signed.sha256;
    expect(gitCli(repoDir(), 'ls-tree', '--name-only', 'master').trim().split('\n').sort()).toEqual(
      [`${sha}.json`, `${sha}.json.signed`, `${sha}.pem`, 'manifest.json'].sort(),
    );
    expect(gitCli(repoDir(), 'show', `master:${sha}.json`)).toBe(signed.json.toString());
    gitCli(repoDir(), 'fsck', '--strict'); // throws on a non-zero exit
    expect(gitCli(repoDir(), 'status', '--porcelain')).toBe('');
    expect(readdirSync(configDir()).filter((e) => e.includes('tmp'))).toEqual([]);
  });

  test('a second install is refused and changes nothing', async () => {
    const signed = signInstall(install({ product: keys.product }), keys);
    const oid = await initState({ configDir: configDir(), state: snapshot(signed) });
    const other = signInstall(install({ product: keys.product, targets: [target({ digest: DIGEST_B })] }), keys);
    await expect(initState({ configDir: configDir(), state: snapshot(other) })).rejects.toBeInstanceOf(AlreadyInstalledError);
    expect((await readCommittedState({ configDir: configDir() })).commit).toBe(oid);
  });

  test('reads take the committed tree: uncommitted worktree edits are ignored', async () => {
    const signed = signInstall(install({ product: keys.product }), keys);
    await initState({ configDir: configDir(), state: snapshot(signed) });
    appendFileSync(join(repoDir(), `${signed.sha256}.json`), ' $');
    writeFileSync(join(repoDir(), 'manifest.json'), '{}');
    const state = await readCommittedState({ configDir: configDir() });
    expect(state.installs.get(signed.sha256)?.json).toEqual(signed.json);
    expect(state.system.targets).toEqual([{ name: 'hostfs', source: `${signed.sha256}.json` }]);
  });

  test('a commit made with the git CLI is read by us', async () => {
    const signed = signInstall(install({ product: keys.product }), keys);
    await initState({ configDir: configDir(), state: snapshot(signed) });
    const sys = JSON.parse(readFileSync(join(repoDir(), 'manifest.json'), 'utf8'));
    sys.storage = [{ label: 'added-by-git', persistent: true, nsgroup: '', size: 3 }];
    writeFileSync(join(repoDir(), 'manifest.json'), JSON.stringify(sys));
    gitCli(repoDir(), 'commit', '-qam', 'edited with git');
    const head = gitCli(repoDir(), 'rev-parse', 'master').trim();
    const state = await readCommittedState({ configDir: configDir() });
    expect(state.commit).toBe(head);
    expect(state.system.storage).toEqual([{ label: 'added-by-git', persistent: true, nsgroup: '', size: 3 }]);
  });

  test('a committed edit of SHA.json is detected on read', async () => {
    const signed = signInstall(install({ product: keys.product }), keys);
    await initState({ configDir: configDir(), state: snapshot(signed) });
    appendFileSync(join(repoDir(), `${signed.sha256}.json`), ' $');
    gitCli(repoDir(), 'commit', '-qam', 'tamper');
    await expect(readCommittedState({ configDir: configDir() })).rejects.toMatchObject({ code: 'ERR_MANIFEST_STATE_CORRUPT' });
  });

  test('an update commits exactly manifest.json and the referenced triples, on top of the previous commit', async () => {
    const first = signInstall(install({ product: keys.product }), keys);
    const old = await initState({ configDir: configDir(), state: snapshot(first) });
    const second = signInstall(install({ product: keys.product, targets: [target({ digest: DIGEST_B, version: '2.0' })] }), keys);
    const system = systemForUpdate(
      (await readCommittedState({ configDir: configDir() })).system,
      new Map([[first.sha256, loadInstallManifest(first.json).manifest]]),
      { sha256: second.sha256, manifest: loadInstallManifest(second.json).manifest },
      HOST_POLICY,
    );
    const oid = await commitState({ configDir: configDir(), state: { system, installs: [first, second] }, message: 'System upgrade' });
    expect(gitCli(repoDir(), 'rev-parse', `${oid}^`).trim()).toBe(old);
    expect(gitCli(repoDir(), 'ls-tree', '--name-only', 'master').trim().split('\n').sort()).toEqual(
      [`${second.sha256}.json`, `${second.sha256}.json.signed`, `${second.sha256}.pem`, 'manifest.json'].sort(),
    );
    gitCli(repoDir(), 'fsck', '--strict');
    expect(gitCli(repoDir(), 'status', '--porcelain')).toBe('');
    expect(existsSync(join(repoDir(), `${first.sha256}.json`))).toBe(false);
    const history = await stateHistory({ configDir: configDir() });
    expect(history.map((h) => [h.commit, h.message])).toEqual([
      [oid, 'System upgrade'],
      [old, 'Initial commit'],
    ]);
  });

  test('a named commit reads that state (the boot-count fallback), not the head; a bad id is refused', async () => {
    const first = signInstall(install({ product: keys.product }), keys);
    const old = await initState({ configDir: configDir(), state: snapshot(first) });
    const second = signInstall(install({ product: keys.product, targets: [target({ digest: DIGEST_B, version: '2.0' })] }), keys);
    await commitState({ configDir: configDir(), state: snapshot(second), message: 'System upgrade' });
    const before = await readCommittedState({ configDir: configDir(), commit: old });
    expect(before.commit).toBe(old);
    expect([...before.installs.keys()]).toEqual([first.sha256]);
    await expect(readCommittedState({ configDir: configDir(), commit: 'HEAD~1' })).rejects.toBeInstanceOf(StateCorruptError);
  });

  test('no manifest.git: reads and commits say nothing is installed', async () => {
    await expect(readCommittedState({ configDir: configDir() })).rejects.toBeInstanceOf(NoStateError);
    const signed = signInstall(install({ product: keys.product }), keys);
    await expect(commitState({ configDir: configDir(), state: snapshot(signed), message: 'x' })).rejects.toBeInstanceOf(NoStateError);
  });

  test('kill -9 at random moments of a commit: master is always the old or the new commit, git fsck stays clean', async () => {
    const first = signInstall(install({ product: keys.product }), keys);
    await initState({ configDir: configDir(), state: snapshot(first) });
    const stateFile = join(root, 'next-state.json');
    const top = join(__dirname, '..', '..', '..', '..');
    const enc = (s: SignedInstall) => ({ sha256: s.sha256, json: s.json.toString('base64'), signature: s.signature.toString('base64'), certificate: s.certificate.toString('base64') });
    /** Runs the child on a new state; kills it `killAfter` ms after "go" (never, if undefined). */
    async function commitInChild(version: string, killAfter: number | undefined) {
      const next = signInstall(install({ product: keys.product, targets: [target({ version, digest: DIGEST_B })] }), keys);
      writeFileSync(stateFile, JSON.stringify({ system: snapshot(next).system, installs: [enc(next)] }));
      // One process (node --import tsx), not the tsx CLI: that runs the script in a grandchild
      // which a SIGKILL of the CLI would orphan.
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'helpers', 'commit-child.ts'), configDir(), stateFile], {
        cwd: top,
        env: { ...process.env, TSX_TSCONFIG_PATH: join(__dirname, '..', '..', 'tsconfig.json') },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const exited = new Promise((r) => child.once('exit', r));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.once('data', () => resolve());
          child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
        });
        const t0 = process.hrtime.bigint();
        child.stdin.write('go\n');
        if (killAfter === undefined) {
          await exited;
          return { next, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
        }
        await new Promise((r) => setTimeout(r, killAfter));
        return { next, ms: 0 };
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
    }
    // Calibrate: how long does a commit take here? Then kill across 0..1.3x of that.
    const { ms } = await commitInChild('calibration', undefined);
    const outcomes = { old: 0, new: 0 };
    for (let i = 0; i < 20; i++) {
      const before = (await readCommittedState({ configDir: configDir() })).commit;
      const { next } = await commitInChild(`v${i}`, Math.random() * ms * 1.3);
      const state = await readCommittedState({ configDir: configDir() });
      if (state.commit === before) outcomes.old++;
      else {
        expect(state.installs.get(next.sha256)?.json).toEqual(next.json);
        expect(gitCli(repoDir(), 'rev-parse', 'master^').trim()).toBe(before);
        outcomes.new++;
      }
      gitCli(repoDir(), 'fsck', '--strict', '--no-dangling');
    }
    console.log(`crash test: a commit takes ~${ms.toFixed(0)} ms; ${outcomes.old} kills left the old commit, ${outcomes.new} the new one`);
    // Whatever happened, a later update goes through.
    const final = signInstall(install({ product: keys.product, targets: [target({ version: 'final' })] }), keys);
    await commitState({ configDir: configDir(), state: snapshot(final), message: 'after the crashes' });
    expect((await readCommittedState({ configDir: configDir() })).installs.has(final.sha256)).toBe(true);
    gitCli(repoDir(), 'fsck', '--strict', '--no-dangling');
    expect(outcomes.old + outcomes.new).toBe(20);
  });
});
