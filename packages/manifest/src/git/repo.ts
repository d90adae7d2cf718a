import git from 'isomorphic-git';
import { join } from 'node:path';
import { gitFs } from './atomic-fs';

/** The identity the original commits state changes with. */
export const MACHINE_AUTHOR = { name: 'machine', email: 'root@machine.local' } as const;
export const BRANCH = 'master';
const REF = `refs/heads/${BRANCH}`;

/** A file of a state commit: its path in the tree and its bytes. */
export interface TreeFile {
  path: string;
  content: Buffer;
}

/** A non-bare repository whose worktree is `dir` (the original's layout: `manifest.git/.git`). */
export const repo = (dir: string) => ({ fs: gitFs, dir, gitdir: join(dir, '.git') });

/**
 * Writes a commit whose tree is exactly `files` on top of `parent` (none for the first) and
 * moves `master` to it. Objects are written first, the ref last and atomically: a crash at any
 * point leaves `master` at the previous commit (stray objects are harmless).
 */
export async function commitFiles(dir: string, files: TreeFile[], message: string, parent: string | undefined, now: Date): Promise<string> {
  const r = repo(dir);
  const entries = [];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    entries.push({ mode: '100644', path: f.path, type: 'blob' as const, oid: await git.writeBlob({ ...r, blob: f.content }) });
  }
  const tree = await git.writeTree({ ...r, tree: entries });
  const who = { ...MACHINE_AUTHOR, timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: 0 };
  const oid = await git.writeCommit({
    ...r,
    commit: { message: message.endsWith('\n') ? message : `${message}\n`, tree, parent: parent ? [parent] : [], author: who, committer: who },
  });
  await git.writeRef({ ...r, ref: REF, value: oid, force: true });
  return oid;
}

/** The commit `master` points at, or undefined when the repository has none. */
export async function headOf(dir: string): Promise<string | undefined> {
  try {
    return await git.resolveRef({ ...repo(dir), ref: REF });
  } catch (e) {
    if ((e as { code?: string }).code === 'NotFoundError') return undefined;
    throw e;
  }
}

/** Makes the worktree and index match `master` (only for humans and the git CLI; readers never use them). */
export async function syncWorktree(dir: string): Promise<void> {
  await git.checkout({ ...repo(dir), ref: BRANCH, force: true });
}
