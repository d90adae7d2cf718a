import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DIGEST_SIZE } from './geometry';
import { StridedReader, truncated } from './strided-reader';

/** Progress of a long verity operation: bytes of data hashed so far out of `total`. */
export interface Progress {
  phase: string;
  loaded: number;
  total: number;
}

export interface HashOptions {
  /** Worker threads to hash with. Default: the machine's available parallelism. 1 = in this thread. */
  threads?: number;
  /** A pool to reuse (a mount verifies many layers with one set of workers). Default: one per call for large files. */
  pool?: HashPool;
  onProgress?: (p: Progress) => void;
}

// 4 MiB per task: large enough that messaging costs nothing, small enough to balance the
// workers, report progress and let this thread help while workers start.
const TASK_BYTES = 4 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;
// Without a pool to reuse, starting workers for less than this costs more than it saves.
const MIN_FRESH_POOL_BYTES = 64 * 1024 * 1024;

// The worker is plain JavaScript evaluated from a string so it runs the same under ts-jest,
// tsx and the built package (no separate .js file to locate). It repeats StridedReader's logic;
// keep the two in step (the thread-equality test compares them).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readvSync, closeSync } = require('node:fs');
const { hash } = require('node:crypto');
let key = '', buf, iov, strides;
function setup(salt, blockSize, perRead) {
  const k = salt.toString('hex') + '/' + blockSize;
  if (k === key) return;
  const stride = salt.length + blockSize;
  buf = Buffer.alloc(stride * perRead); iov = []; strides = [];
  for (let i = 0; i < perRead; i++) {
    salt.copy(buf, i * stride);
    iov.push(buf.subarray(i * stride + salt.length, (i + 1) * stride));
    strides.push(buf.subarray(i * stride, (i + 1) * stride));
  }
  key = k;
}
parentPort.on('message', (t) => {
  let fd = -1;
  try {
    const salt = Buffer.from(t.salt);
    setup(salt, t.blockSize, t.perRead);
    fd = openSync(t.path, 'r');
    const out = Buffer.alloc(t.count * 32);
    for (let done = 0; done < t.count; ) {
      const n = Math.min(t.count - done, t.perRead);
      const pos = (t.first + done) * t.blockSize;
      for (let got = 0; got < n * t.blockSize; ) {
        const first = Math.floor(got / t.blockSize);
        const v = iov.slice(first, n);
        v[0] = v[0].subarray(got - first * t.blockSize);
        const r = readvSync(fd, v, pos + got);
        if (r === 0) throw Object.assign(new Error('short read'), { short: true, block: t.first + done + first });
        got += r;
      }
      for (let i = 0; i < n; i++) hash('sha256', strides[i], 'buffer').copy(out, (done + i) * 32);
      done += n;
    }
    parentPort.postMessage({ id: t.id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: t.id, error: e.message, short: !!e.short, block: e.block });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
});
`;

interface Job {
  file: string;
  salt: Buffer;
  blockSize: number;
  out: Buffer;
  left: number;
  total: number;
  loaded: number;
  failed: boolean;
  resolve: (b: Buffer) => void;
  reject: (e: unknown) => void;
  onProgress?: (p: Progress) => void;
}
interface Task {
  id: number;
  job: Job;
  first: number;
  count: number;
}

/**
 * Worker threads that hash data blocks of files (hash type 1: H(salt ‖ block)). Workers start on
 * first use and are reused for every file until {@link close}; while they start, the calling
 * thread hashes tasks itself. Each task reads its own 4 MiB range with large sequential reads.
 */
export class HashPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: Task[] = [];
  private running = new Map<number, Task>();
  private busy = new Map<Worker, Task>();
  private nextId = 0;
  private online = 0;
  private assisting = false;
  private readonly perRead: number = READ_BYTES;

  constructor(readonly threads = availableParallelism()) {}

  /** Digests of blocks [0, count) of `file`, concatenated (verity level 0). */
  hashFile(file: string, count: number, blockSize: number, salt: Buffer, onProgress?: (p: Progress) => void): Promise<Buffer> {
    const perTask = Math.max(1, Math.floor(TASK_BYTES / blockSize));
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { file, salt, blockSize, out: Buffer.alloc(count * DIGEST_SIZE), left: 0, total: count * blockSize, loaded: 0, failed: false, resolve, reject, onProgress };
      for (let first = 0; first < count; first += perTask) {
        this.queue.push({ id: this.nextId++, job, first, count: Math.min(perTask, count - first) });
        job.left++;
      }
      if (job.left === 0) return resolve(job.out);
      this.start();
      this.dispatch();
      void this.assist();
    });
  }

  /** Stops the workers; jobs still queued or running fail. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.idle = [];
    const stopped = new Error('hash pool closed');
    for (const t of [...this.queue, ...this.running.values()]) this.fail(t.job, stopped);
    this.queue = [];
    this.running.clear();
    this.busy.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private start(): void {
    if (this.workers.length) return;
    for (let i = 0; i < Math.max(1, this.threads); i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.once('online', () => {
        this.online++;
        this.idle.push(w);
        this.dispatch();
      });
      w.on('message', (m: { id: number; out?: Uint8Array; error?: string; short?: boolean; block?: number }) => this.done(w, m));
      w.on('error', (e) => this.lost(w, e));
      w.on('exit', () => this.lost(w, new Error('hash worker exited')));
      this.workers.push(w);
    }
  }

  /** A worker died (not by close): fail its task; with no worker left, fail the queue too. */
  private lost(w: Worker, e: unknown): void {
    if (!this.workers.includes(w)) return; // closed, or already handled
    this.workers = this.workers.filter((x) => x !== w);
    this.idle = this.idle.filter((x) => x !== w);
    const t = this.busy.get(w);
    this.busy.delete(w);
    if (t) {
      this.running.delete(t.id);
      this.fail(t.job, e);
    }
    if (this.workers.length === 0) {
      for (const q of this.queue) this.fail(q.job, e);
      this.queue = [];
    }
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const t = this.queue.shift()!;
      if (t.job.failed) continue;
      const w = this.idle.pop()!;
      this.busy.set(w, t);
      this.running.set(t.id, t);
      w.postMessage({ id: t.id, path: t.job.file, salt: t.job.salt, blockSize: t.job.blockSize, perRead: Math.max(1, Math.floor(this.perRead / t.job.blockSize)), first: t.first, count: t.count });
    }
  }

  /** While workers are still starting (~25 ms), this thread takes tasks from the queue too. */
  private async assist(): Promise<void> {
    if (this.assisting) return;
    this.assisting = true;
    try {
      while (this.online < this.workers.length && this.queue.length) {
        const t = this.queue.shift()!;
        if (!t.job.failed) {
          const { job } = t;
          const reader = new StridedReader(job.salt, job.blockSize, Math.max(1, Math.floor(this.perRead / job.blockSize)));
          let fd = -1;
          try {
            fd = openSync(job.file, 'r');
            reader.hashRangeSync(fd, job.file, t.first, t.count, job.out, t.first * DIGEST_SIZE);
            this.progress(t);
          } catch (e) {
            this.fail(job, e);
          } finally {
            if (fd >= 0) closeSync(fd);
          }
        }
        await new Promise((r) => setImmediate(r)); // let 'online' events in
      }
    } finally {
      this.assisting = false;
    }
  }

  private done(w: Worker, m: { id: number; out?: Uint8Array; error?: string; short?: boolean; block?: number }): void {
    const t = this.running.get(m.id);
    this.running.delete(m.id);
    this.busy.delete(w);
    this.idle.push(w);
    if (t) {
      if (m.error !== undefined) this.fail(t.job, m.short ? truncated(t.job.file, m.block ?? 0) : new Error(`${t.job.file}: ${m.error}`));
      else if (!t.job.failed) {
        Buffer.from(m.out!.buffer, m.out!.byteOffset, m.out!.byteLength).copy(t.job.out, t.first * DIGEST_SIZE);
        this.progress(t);
      }
    }
    this.dispatch();
  }

  private progress(t: Task): void {
    const { job } = t;
    job.loaded += t.count * job.blockSize;
    job.onProgress?.({ phase: 'hash', loaded: job.loaded, total: job.total });
    if (--job.left === 0) job.resolve(job.out);
  }

  private fail(job: Job, e: unknown): void {
    if (job.failed) return;
    job.failed = true;
    job.reject(e);
  }
}

/**
 * Hashes data blocks `[0, count)` of `file` (hash type 1: H(salt ‖ block)) and returns the
 * concatenated 32-byte digests: verity level 0. Uses `opts.pool` when given; otherwise large
 * files get a pool for this call and small ones are hashed in this thread. Only the digests
 * are held in memory.
 */
export async function hashDataBlocks(file: string, count: number, blockSize: number, salt: Buffer, opts: HashOptions = {}): Promise<Buffer> {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const bytes = count * blockSize;
  if (threads > 1 && opts.pool && bytes > TASK_BYTES) return opts.pool.hashFile(file, count, blockSize, salt, opts.onProgress);
  if (threads === 1 || bytes < MIN_FRESH_POOL_BYTES) return hashInline(file, count, blockSize, salt, opts);
  const pool = new HashPool(threads);
  try {
    return await pool.hashFile(file, count, blockSize, salt, opts.onProgress);
  } finally {
    await pool.close();
  }
}

async function hashInline(file: string, count: number, blockSize: number, salt: Buffer, opts: HashOptions): Promise<Buffer> {
  const out = Buffer.alloc(count * DIGEST_SIZE);
  const reader = new StridedReader(salt, blockSize, Math.max(1, Math.floor(READ_BYTES / blockSize)));
  const fh = await open(file, 'r');
  try {
    for (let first = 0; first < count; first += reader.perRead) {
      const n = Math.min(reader.perRead, count - first);
      for (let got = 0; got < n * blockSize; ) {
        const { bytesRead } = await fh.readv(reader.iovecs(n, got), first * blockSize + got);
        if (bytesRead === 0) throw truncated(file, first + Math.floor(got / blockSize));
        got += bytesRead;
      }
      reader.digest(n, out, first * DIGEST_SIZE);
      opts.onProgress?.({ phase: 'hash', loaded: (first + n) * blockSize, total: count * blockSize });
    }
  } finally {
    await fh.close();
  }
  return out;
}
