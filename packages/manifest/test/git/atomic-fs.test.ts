import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile, removeStaleTemps } from '@mos/manifest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mos-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const git = (...args: string[]) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

test('atomicWriteFile leaves only the file: its temp name is gone after the rename', async () => {
  await atomicWriteFile(join(dir, 'lifecycle.json'), '{}\n');
  expect(readdirSync(dir)).toEqual(['lifecycle.json']);
});

test('what a killed write leaves is invisible to git (a dot name is no ref) and removed by removeStaleTemps, nothing else is', async () => {
  expect(git('init', '-q', '-b', 'master').status).toBe(0);
  writeFileSync(join(dir, 'f'), 'x');
  git('add', 'f');
  expect(git('commit', '-q', '-m', 'one').status).toBe(0);
  const head = git('rev-parse', 'master').stdout.trim();
  // The temps of writes killed before their rename: a half-written ref, an object, the lifecycle record.
  const temps = [
    join(dir, '.git', 'refs', 'heads', '.master.tmp-0123456789ab'),
    join(dir, '.git', 'objects', head.slice(0, 2), `.${'e'.repeat(38)}.tmp-0123456789ab`),
    join(dir, '.lifecycle.json.tmp-abcdefabcdef'),
  ];
  for (const t of temps) writeFileSync(t, '');
  // Look-alikes that are not ours stay: a name without the dot, a temp of another writer, a directory.
  const keep = [join(dir, 'master.tmp-0123456789ab'), join(dir, '.x.tmp-123'), join(dir, '.d.tmp-0123456789ab', 'inner')];
  mkdirSync(join(dir, '.d.tmp-0123456789ab'));
  for (const k of keep) writeFileSync(k, 'keep');

  // git sees no extra branch and fsck exits 0; at most it names the object-dir temp.
  expect(git('for-each-ref', '--format=%(refname)').stdout.trim()).toBe('refs/heads/master');
  const before = git('fsck', '--strict');
  expect(before.status).toBe(0);
  expect((before.stdout + before.stderr).trim()).toMatch(/^bad sha1 file: \.git\/objects\/[0-9a-f]{2}\/\.e{38}\.tmp-0123456789ab$/);

  expect(await removeStaleTemps(dir)).toBe(3);
  for (const t of temps) expect(existsSync(t)).toBe(false);
  for (const k of keep) expect(existsSync(k)).toBe(true);
  const after = git('fsck', '--strict');
  expect({ status: after.status, said: (after.stdout + after.stderr).trim() }).toEqual({ status: 0, said: '' });
});
