import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { AbortedError, InvalidArgumentError, SizeMismatchError } from '../errors';
import { canonicalJson } from '../format/canonical-json';
import { parseDigest } from '../format/digest';
import { assertLayoutTag } from '../format/names';
import type { Descriptor, ImageIndex } from '../format/types';
import { assertAnnotations, assertDescriptor, assertMediaType } from '../lib/assert';
import type { LockHandle } from '../managers/store-lock';
import type { PushOptions, Store } from '../store/interfaces';
import { readIndex, UPLOADS, writeIndexTemp } from './index-file';
import { fileMatches, stageBlob, type StagedBlob } from './put-blob';
import { withTag, withUntagged, withoutDigest, withoutTag } from './tags';
import type { LayoutStore } from './layout-store';

/** Options of a write batch. */
export interface BatchOptions {
  /** Re-hash a blob that already exists before skipping it (a corrupt one is replaced). Default false. */
  verifyExisting?: boolean;
}

type IndexOp = (index: ImageIndex) => ImageIndex | null;

/**
 * One write operation on a layout: blobs are streamed into `.uploads/` and verified as they
 * arrive, but nothing becomes visible until {@link LayoutBatch.commit}, which issues one
 * durability barrier for all of them (the files' fsyncs run together), renames them into
 * `blobs/`, then replaces `index.json`, then flushes the directories. Holds the store lock
 * *shared* from creation to commit/abort, so gc cannot sweep staged blobs.
 *
 * @example
 * import { LayoutStore } from '@mos/oci-store';
 * const store = await LayoutStore.open('/tmp/l', { create: true });
 * const batch = await store.batch();
 * try { await batch.push(desc, stream); await batch.tag(manifestDesc, 'v1'); await batch.commit(); }
 * finally { await batch.abort(); } // no-op after commit
 */
export class LayoutBatch implements Store {
  private readonly staged = new Map<string, StagedBlob>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Data flushes started as soon as each blob was complete; commit waits for all at once. */
  private readonly flushes = new Map<string, Promise<void>>();
  private readonly ops: IndexOp[] = [];
  private done = false;

  /** @internal use {@link LayoutStore.batch}. */
  constructor(readonly layout: LayoutStore, private readonly lock: LockHandle, private readonly opts: BatchOptions = {}) {}

  /** True when the blob is staged in this batch or already in the layout. */
  async exists(desc: Descriptor): Promise<boolean> {
    return this.staged.has(desc.digest) || this.layout.exists(desc);
  }

  /** Reads a staged or stored blob (verified). */
  async fetch(desc: Descriptor): Promise<Readable> {
    const s = this.staged.get(desc.digest);
    return s ? this.layout.fetchFile(s.tmp, desc) : this.layout.fetch(desc);
  }

  /** Stages `content` under `desc` (verified); a blob already present is skipped. */
  async push(desc: Descriptor, content: Readable | Uint8Array, opts: PushOptions = {}): Promise<void> {
    assertDescriptor(desc);
    this.assertOpen();
    const running = this.inflight.get(desc.digest);
    if (running) {
      discard(content);
      return running;
    }
    const p = this.pushOnce(desc, content, opts).finally(() => this.inflight.delete(desc.digest));
    this.inflight.set(desc.digest, p);
    return p;
  }

  private async pushOnce(desc: Descriptor, content: Readable | Uint8Array, opts: PushOptions): Promise<void> {
    if (this.staged.has(desc.digest) || (await this.presentAndGood(desc))) {
      discard(content);
      return;
    }
    const onAbort = () => (content instanceof Readable ? content.destroy(new AbortedError('write aborted')) : undefined);
    if (opts.signal?.aborted) throw new AbortedError('write aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const staged = await stageBlob(this.layout.uploadsDir, `blob-${this.layout.sys.randomId()}`, content, desc, opts.onBytes);
      this.stage(staged);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async presentAndGood(desc: Descriptor): Promise<boolean> {
    if (!(await this.layout.exists(desc))) return false;
    return !this.opts.verifyExisting || fileMatches(this.layout.blobPath(desc.digest), desc);
  }

  /**
   * Takes over a file the caller already wrote and hashed inside `.uploads/` (a registry upload
   * session) as a staged blob: its size is checked here, its digest was checked by the caller.
   * A blob already present makes the file redundant; it is removed.
   */
  async adopt(tmp: string, desc: Descriptor): Promise<void> {
    assertDescriptor(desc);
    this.assertOpen();
    const st = await fsp.stat(tmp);
    if (st.size !== desc.size) throw new SizeMismatchError(`upload of ${desc.digest} has ${st.size} bytes, expected ${desc.size}`, { digest: desc.digest, expected: desc.size, actual: st.size });
    if (this.staged.has(desc.digest) || (await this.presentAndGood(desc))) await fsp.rm(tmp, { force: true });
    else this.stage({ tmp, digest: desc.digest, size: desc.size });
  }

  /** Stages a stream whose digest is computed while writing; returns its descriptor. */
  async ingest(content: Readable | Uint8Array, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
    assertMediaType(mediaType);
    assertAnnotations(annotations);
    this.assertOpen();
    const staged = await stageBlob(this.layout.uploadsDir, `blob-${this.layout.sys.randomId()}`, content);
    const desc: Descriptor = { mediaType, digest: staged.digest, size: staged.size, ...(annotations ? { annotations } : {}) };
    if (this.staged.has(desc.digest) || (await this.presentAndGood(desc))) await fsp.rm(staged.tmp, { force: true });
    else this.stage(staged);
    return desc;
  }

  /**
   * Records a complete, verified temp file and starts its data flush right away, so the disk
   * works while other blobs are still arriving. It is the same one fsync per file the commit
   * barrier needs, only issued earlier; nothing waits for it before commit.
   */
  private stage(s: StagedBlob): void {
    this.staged.set(s.digest, s);
    const p = this.layout.sys.fsyncFile(s.tmp);
    p.catch(() => undefined); // awaited (and reported) by commit
    this.flushes.set(s.digest, p);
  }

  /** Stages a JSON value serialized the way Go does (so digests match Go tools). */
  async pushJson(value: unknown, mediaType: string): Promise<Descriptor> {
    const bytes = canonicalJson(value);
    return this.ingest(bytes, mediaType);
  }

  /** Points `tag` at `desc` when the batch commits. */
  async tag(desc: Descriptor, tag: string): Promise<void> {
    assertDescriptor(desc);
    assertLayoutTag(tag);
    this.assertOpen();
    this.ops.push((i) => withTag(i, desc, tag));
  }

  /** Adds an untagged `index.json` entry for `desc` when the batch commits. */
  async addRoot(desc: Descriptor): Promise<void> {
    assertDescriptor(desc);
    this.assertOpen();
    this.ops.push((i) => withUntagged(i, desc));
  }

  /** Removes every `index.json` entry with `digest` (tagged or not) when the batch commits. */
  async removeRoot(digest: string): Promise<void> {
    parseDigest(digest);
    this.assertOpen();
    this.ops.push((i) => withoutDigest(i, digest));
  }

  /** Removes `tag` when the batch commits. */
  async untag(tag: string): Promise<void> {
    assertLayoutTag(tag);
    this.assertOpen();
    this.ops.push((i) => withoutTag(i, tag));
  }

  /**
   * Makes everything visible: one barrier for the staged files (and the new index), renames,
   * then one flush of the touched directories. Releases the lock.
   */
  async commit(): Promise<void> {
    this.assertOpen();
    if (this.inflight.size) throw new InvalidArgumentError('commit while blob writes are still running');
    this.done = true;
    const { sys } = this.layout;
    let indexLock: LockHandle | undefined;
    let indexTmp: string | undefined;
    try {
      const prepareIndex = async () => {
        if (this.ops.length === 0) return;
        indexLock = await this.layout.lock.index();
        let index = await readIndex(this.layout.dir);
        let changed = false;
        for (const op of this.ops) {
          const next = op(index);
          if (next) [index, changed] = [next, true];
        }
        if (changed) indexTmp = await writeIndexTemp(this.layout.dir, index, sys);
      };
      await Promise.all([...[...this.staged.values()].map((s) => this.flushes.get(s.digest) ?? sys.fsyncFile(s.tmp)), prepareIndex()]);
      const dirs = new Set<string>();
      for (const [digest, s] of this.staged) {
        const dest = this.layout.blobPath(digest);
        await fsp.rename(s.tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
          await fsp.mkdir(dirname(dest), { recursive: true });
          await fsp.rename(s.tmp, dest);
        });
        dirs.add(dirname(dest));
      }
      this.staged.clear();
      if (indexTmp) {
        await fsp.rename(indexTmp, join(this.layout.dir, 'index.json'));
        indexTmp = undefined;
        dirs.add(this.layout.dir);
      }
      await Promise.all([...dirs].map((d) => sys.fsyncDir(d)));
    } finally {
      if (indexTmp) await fsp.rm(indexTmp, { force: true });
      await indexLock?.release();
      await this.cleanup();
    }
  }

  /** Drops everything staged and releases the lock. A no-op after commit. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await Promise.allSettled(this.inflight.values());
    await this.cleanup();
  }

  private async cleanup(): Promise<void> {
    await Promise.allSettled(this.flushes.values());
    this.flushes.clear();
    await Promise.all([...this.staged.values()].map((s) => fsp.rm(s.tmp, { force: true })));
    this.staged.clear();
    await this.lock.release();
  }

  private assertOpen(): void {
    if (this.done) throw new InvalidArgumentError('the batch is already committed or aborted');
  }
}

function discard(content: Readable | Uint8Array): void {
  if (content instanceof Readable) content.destroy();
}

/** The path a digest is stored at, relative to the layout (validated). */
export function blobRelPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return join('blobs', algorithm, encoded);
}

export { UPLOADS };
