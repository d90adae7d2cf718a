import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { LockedError } from '../errors';
import type { Sys } from '../sys';

/** A held lock; `release()` is idempotent. */
export interface LockHandle {
  release(): Promise<void>;
}

/** Options of every lock acquisition. */
export interface LockOptions {
  /** How long to wait for a holder before failing with `ERR_OCI_LOCKED`. Default 60 000 ms. */
  waitMs?: number;
}

const EXCLUSIVE = 'exclusive.lock';
const INDEX = 'index.lock';
const SHARED_PREFIX = 'shared.';

/** Marker files this process holds (absolute paths), process-wide so two store objects agree. */
const held = new Set<string>();
/** In-process queues per mutex file, so only one of our own callers contends for it at a time. */
const queues = new Map<string, Promise<void>>();

/**
 * The store lock of one layout, shared between processes through marker files in
 * `<layout>/.locks/` (node has no flock). Imports hold it *shared* (many at once), gc holds it
 * *exclusive*, so gc never runs while an import has blobs staged but not yet tagged. A
 * separate short *index* mutex serialises `index.json` read-modify-write cycles.
 *
 * Protocol (Dekker-style, safe because each side writes its own marker before looking at the
 * other's): a shared holder creates `shared.<pid>.<id>` and then backs off if `exclusive.lock`
 * exists; the exclusive holder creates `exclusive.lock` (atomic link, like O_EXCL) and then
 * waits until no shared marker remains. Markers of dead pids are stale and removed; a marker
 * with our own pid that this process does not hold is a leftover of a recycled pid.
 */
export class StoreLock {
  private readonly dir: string;
  constructor(layoutDir: string, private readonly sys: Sys) {
    this.dir = join(layoutDir, '.locks');
  }

  /** Takes the lock shared (imports, blob writes). */
  async shared(opts: LockOptions = {}): Promise<LockHandle> {
    await fsp.mkdir(this.dir, { recursive: true });
    const deadline = this.sys.now() + (opts.waitMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      const path = join(this.dir, `${SHARED_PREFIX}${process.pid}.${this.sys.randomId()}`);
      await this.create(path);
      const holder = await this.liveHolder(join(this.dir, EXCLUSIVE));
      if (holder === undefined) return this.handle(path);
      await this.remove(path);
      await this.wait(deadline, attempt, holder, 'exclusive');
    }
  }

  /** Takes the lock exclusive (gc, repair): waits for every shared holder to finish. */
  async exclusive(opts: LockOptions = {}): Promise<LockHandle> {
    await fsp.mkdir(this.dir, { recursive: true });
    const deadline = this.sys.now() + (opts.waitMs ?? 60_000);
    const path = join(this.dir, EXCLUSIVE);
    const inProcess = await this.mutex(path, deadline);
    try {
      for (let attempt = 0; ; attempt++) {
        const holders = await this.liveShared();
        if (holders.length === 0) return this.handle(path, inProcess);
        await this.wait(deadline, attempt, holders[0], 'shared');
      }
    } catch (e) {
      await this.remove(path);
      inProcess();
      throw e;
    }
  }

  /** Takes the short `index.json` mutex. */
  async index(opts: LockOptions = {}): Promise<LockHandle> {
    await fsp.mkdir(this.dir, { recursive: true });
    const path = join(this.dir, INDEX);
    const inProcess = await this.mutex(path, this.sys.now() + (opts.waitMs ?? 60_000));
    return this.handle(path, inProcess);
  }

  /** Queues behind our own callers, then takes the file; returns the in-process release. */
  private async mutex(path: string, deadline: number): Promise<() => void> {
    const prev = queues.get(path) ?? Promise.resolve();
    let releaseQueue!: () => void;
    const mine = new Promise<void>((r) => (releaseQueue = r));
    const tail = prev.then(() => mine);
    queues.set(path, tail);
    const done = () => {
      releaseQueue();
      if (queues.get(path) === tail) queues.delete(path);
    };
    await prev;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.create(path);
          return done;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = await this.liveHolder(path);
        if (holder === undefined) continue; // stale marker removed; try again at once
        await this.wait(deadline, attempt, holder, path.endsWith(INDEX) ? 'index' : 'exclusive');
      }
    } catch (e) {
      done();
      throw e;
    }
  }

  private handle(path: string, inProcess?: () => void): LockHandle {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await this.remove(path);
        } finally {
          inProcess?.();
        }
      },
    };
  }

  /**
   * Creates marker `path` holding our pid, atomically: the content goes to a private temp name
   * first and is hard-linked into place (link fails with EEXIST like O_EXCL), so no reader
   * sees an empty marker. It counts as ours from before the link until after its removal.
   */
  private async create(path: string): Promise<void> {
    const tmp = join(this.dir, `tmp.${process.pid}.${this.sys.randomId()}`);
    await fsp.writeFile(tmp, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    held.add(path);
    try {
      await fsp.link(tmp, path);
    } catch (e) {
      held.delete(path);
      throw e;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  private async remove(path: string): Promise<void> {
    await fsp.rm(path, { force: true });
    held.delete(path);
  }

  /** The pid holding marker `path`, or undefined if there is none (stale ones are removed). */
  private async liveHolder(path: string): Promise<number | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const pid = Number.parseInt(text, 10);
    if (this.isLive(path, pid)) return pid;
    await fsp.rm(path, { force: true });
    return undefined;
  }

  private isLive(path: string, pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (pid === process.pid) return held.has(path);
    return this.sys.pidAlive(pid);
  }

  private async liveShared(): Promise<number[]> {
    const names = (await fsp.readdir(this.dir)).filter((n) => n.startsWith(SHARED_PREFIX));
    const pids: number[] = [];
    for (const n of names) {
      const pid = await this.liveHolder(join(this.dir, n));
      if (pid !== undefined) pids.push(pid);
    }
    return pids;
  }

  private async wait(deadline: number, attempt: number, holder: number, what: string): Promise<void> {
    if (this.sys.now() >= deadline) {
      throw new LockedError(`store ${this.dir} is locked (${what}) by pid ${holder}`, { pid: holder, lock: what, dir: this.dir });
    }
    await this.sys.sleep(Math.min(100, 2 ** Math.min(attempt, 7)));
  }
}
