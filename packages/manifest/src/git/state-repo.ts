import git from 'isomorphic-git';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyInstalledError, ManifestError, NoStateError, StateCorruptError } from '../errors';
import { loadSystemManifest, serializeSystemManifest, sha256hex } from '../parse/load';
import type { SystemManifest } from '../types';
import { syncDir } from './atomic-fs';
import { commitFiles, headOf, repo, syncWorktree, type TreeFile } from './repo';

/** One signed install manifest as manifest.git stores it: `SHA.json`, `SHA.json.signed`, `SHA.pem`. */
export interface SignedInstall {
  sha256: string;
  json: Buffer;
  signature: Buffer;
  certificate: Buffer;
}

/** A system state: the system manifest and the signed install manifests its targets come from. */
export interface StateSnapshot {
  system: SystemManifest;
  installs: SignedInstall[];
}

/** A state read from a commit of `master`. */
export interface CommittedState {
  commit: string;
  system: SystemManifest;
  /** By sha256 (the `source` of a system target without `.json`). */
  installs: Map<string, SignedInstall>;
}

const MANIFEST_JSON = 'manifest.json';
const sourceSha = (source: string) => source.replace(/\.json$/, '');

/** The tree of a state: `manifest.json` plus exactly the triples its targets reference. */
export function stateFiles(state: StateSnapshot): TreeFile[] {
  const bySha = new Map(state.installs.map((i) => [i.sha256, i]));
  const files: TreeFile[] = [{ path: MANIFEST_JSON, content: serializeSystemManifest(state.system) }];
  for (const sha of new Set(state.system.targets.map((t) => sourceSha(t.source)))) {
    const i = bySha.get(sha);
    if (!i) throw new ManifestError('ERR_MANIFEST_INVALID', `the state references ${sha}.json but no signed install manifest with that hash was given`);
    if (sha256hex(i.json) !== sha) throw new ManifestError('ERR_MANIFEST_INVALID', `install manifest given as ${sha} hashes to ${sha256hex(i.json)}`);
    files.push(
      { path: `${sha}.json`, content: i.json },
      { path: `${sha}.json.signed`, content: i.signature },
      { path: `${sha}.pem`, content: i.certificate },
    );
  }
  return files;
}

/**
 * Creates `manifest.git` in `configDir` with its first commit ("Initial commit"). The
 * repository is built in a temp directory beside it and renamed into place, so a failed or
 * interrupted install never leaves a repository that blocks the retry. The caller holds the
 * state lock (stale temp directories of crashed installs are removed here).
 *
 * @example
 * import { initState } from '@mos/manifest';
 * await initState({ configDir: '/tmp/root/config', state: { system, installs: [signed] } });
 */
export async function initState(opts: { configDir: string; state: StateSnapshot; now?: Date }): Promise<string> {
  const dest = join(opts.configDir, 'manifest.git');
  if (existsSync(dest)) throw new AlreadyInstalledError(`${dest} exists: this root is installed already (use update to change it)`);
  const files = stateFiles(opts.state);
  await mkdir(opts.configDir, { recursive: true });
  for (const e of await readdir(opts.configDir)) {
    if (e.startsWith('.manifest.git.tmp-')) await rm(join(opts.configDir, e), { recursive: true, force: true });
  }
  const tmp = join(opts.configDir, `.manifest.git.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await git.init({ ...repo(tmp), defaultBranch: 'master' });
    const oid = await commitFiles(tmp, files, 'Initial commit', undefined, opts.now ?? new Date());
    await syncWorktree(tmp);
    await syncDir(tmp);
    if (existsSync(dest)) throw new AlreadyInstalledError(`${dest} exists: this root is installed already`);
    await rename(tmp, dest);
    await syncDir(opts.configDir);
    return oid;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Commits a new state on `master`: the tree is exactly `manifest.json` and the referenced
 * triples. Atomic: until the ref moves (the last step) readers see the previous commit.
 */
export async function commitState(opts: { configDir: string; state: StateSnapshot; message: string; now?: Date }): Promise<string> {
  const dir = join(opts.configDir, 'manifest.git');
  const parent = existsSync(dir) ? await headOf(dir) : undefined;
  if (!parent) throw new NoStateError(`${dir} has no state to update: install first`);
  const oid = await commitFiles(dir, stateFiles(opts.state), opts.message, parent, opts.now ?? new Date());
  // The worktree is for humans; the committed tree is the state, so a failure here is not one.
  await syncWorktree(dir).catch(() => undefined);
  return oid;
}

/**
 * Reads the state committed on `master` (worktree edits are ignored, as in the original, which
 * cloned before reading). Every referenced triple must exist and `SHA.json` must hash to SHA.
 * Signatures are not checked here: see `loadVerifiedState`.
 */
export async function readCommittedState(opts: { configDir: string; commit?: string }): Promise<CommittedState> {
  const dir = join(opts.configDir, 'manifest.git');
  if (!existsSync(dir)) throw new NoStateError(`no ${dir}: nothing is installed on this root`);
  const r = repo(dir);
  const commit = opts.commit ?? (await headOf(dir));
  if (!commit) throw new StateCorruptError(`${dir} has no commit on master`);
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new StateCorruptError(`${JSON.stringify(commit)} is not a full commit id of ${dir}`);
  const { tree } = await git.readTree({ ...r, oid: commit });
  const oids = new Map(tree.filter((e) => e.type === 'blob').map((e) => [e.path, e.oid]));
  const blob = async (path: string): Promise<Buffer> => {
    const oid = oids.get(path);
    if (!oid) throw new StateCorruptError(`commit ${commit.slice(0, 12)} of ${dir} lacks ${path}`);
    return Buffer.from((await git.readBlob({ ...r, oid })).blob);
  };
  let system: SystemManifest;
  try {
    system = loadSystemManifest(await blob(MANIFEST_JSON), `manifest.json of commit ${commit.slice(0, 12)}`);
  } catch (e) {
    if (e instanceof StateCorruptError) throw e;
    throw new StateCorruptError((e as Error).message, { cause: e });
  }
  const installs = new Map<string, SignedInstall>();
  for (const sha of new Set(system.targets.map((t) => sourceSha(t.source)))) {
    const json = await blob(`${sha}.json`);
    if (sha256hex(json) !== sha) throw new StateCorruptError(`${sha}.json in commit ${commit.slice(0, 12)} does not hash to its name: it was modified`);
    installs.set(sha, { sha256: sha, json, signature: await blob(`${sha}.json.signed`), certificate: await blob(`${sha}.pem`) });
  }
  return { commit, system, installs };
}

/** One state change: commit id, time and message, newest first. */
export interface HistoryEntry {
  commit: string;
  time: Date;
  message: string;
}

/** The history of `master`, newest first. */
export async function stateHistory(opts: { configDir: string; depth?: number }): Promise<HistoryEntry[]> {
  const dir = join(opts.configDir, 'manifest.git');
  if (!existsSync(dir)) throw new NoStateError(`no ${dir}: nothing is installed on this root`);
  const log = await git.log({ ...repo(dir), ref: 'master', depth: opts.depth });
  return log.map((e) => ({ commit: e.oid, time: new Date(e.commit.committer.timestamp * 1000), message: e.commit.message.trimEnd() }));
}
