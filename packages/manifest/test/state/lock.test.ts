import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockState, StateLockedError, type StateLock } from '@mos/manifest';

let root: string;
const held: StateLock[] = [];
const children: ChildProcess[] = [];
const take = async (mode: 'exclusive' | 'shared') => {
  const l = await lockState({ root, mode });
  held.push(l);
  return l;
};

/** A process that holds flock(2) on the lock file itself, as the Go original does. */
function foreignHolder(path: string): Promise<ChildProcess> {
  const py = `import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(600)`;
  const child = spawn('python3', ['-c', py, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mos-lock-'));
  mkdirSync(join(root, 'config'));
});
afterEach(async () => {
  for (const l of held.splice(0)) await l.release();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('the state lock', () => {
  test('exclusive excludes everyone; the error names the holder pid and command', async () => {
    await take('exclusive');
    const err = await lockState({ root, mode: 'exclusive' }).catch((e) => e);
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.code).toBe('ERR_MANIFEST_LOCKED');
    expect(err.holder.pid).toBe(process.pid);
    expect(err.message).toContain(`pid ${process.pid}`);
    await expect(lockState({ root, mode: 'shared' })).rejects.toBeInstanceOf(StateLockedError);
  });

  test('shared locks coexist and keep an exclusive one out', async () => {
    await take('shared');
    await take('shared');
    await expect(lockState({ root, mode: 'exclusive' })).rejects.toBeInstanceOf(StateLockedError);
  });

  test('release frees it', async () => {
    const l = await lockState({ root, mode: 'exclusive' });
    await l.release();
    await take('exclusive');
  });

  test('a flock held by another program (as the Go original takes it) is honoured and named', async () => {
    const holder = await foreignHolder(join(root, 'config', 'manifest.lock'));
    const err = await lockState({ root, mode: 'shared' }).catch((e) => e);
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.holder.pid).toBe(holder.pid);
    expect(err.holder.command).toContain('python3');
  });

  test('kill -9 of the holder frees the lock: no stale lock files', async () => {
    const holder = await foreignHolder(join(root, 'config', 'manifest.lock'));
    await expect(lockState({ root, mode: 'exclusive' })).rejects.toBeInstanceOf(StateLockedError);
    const gone = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await gone;
    await take('exclusive');
  });

  test('waitMs waits for a short hold to end, and still fails on one that outlasts it', async () => {
    const short = await lockState({ root, mode: 'exclusive' });
    setTimeout(() => void short.release(), 300);
    const waited = await lockState({ root, mode: 'exclusive', waitMs: 5000 });
    held.push(waited);
    const err = await lockState({ root, mode: 'exclusive', waitMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.holder.pid).toBe(process.pid);
  });

  test('a missing config dir is an error, not a lock somewhere else', async () => {
    rmSync(join(root, 'config'), { recursive: true });
    await expect(lockState({ root, mode: 'exclusive' })).rejects.toMatchObject({ code: 'ERR_MANIFEST_NO_STATE' });
  });
});
