import { promises as fsp } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, TooLargeError } from '../errors';
import { assertLayoutTag } from '../format/names';
import { parseDigest } from '../format/digest';
import type { Descriptor, ImageIndex } from '../format/types';
import { assertDescriptor } from '../lib/assert';
import { JSON_CAP, readAll } from '../lib/read-all';
import { StoreLock, type LockOptions } from '../managers/store-lock';
import type { Deleter, PushOptions, ReferrerLister, ReferrersOptions, RootAdder, Store, TagLister, TagResolver, Tagger } from '../store/interfaces';
import { realSys, type Sys } from '../sys';
import { readIndex, UPLOADS, writeIndex } from './index-file';
import { openLayoutDir } from './open-layout';
import { openVerified } from './read-blob';
import { findReferrers } from './referrers';
import { resolveTag, tagsOf, withoutDigest } from './tags';
import { LayoutBatch, type BatchOptions } from './write-batch';

/** Options of {@link LayoutStore.open}. */
export interface LayoutOpenOptions {
  /** Create `oci-layout`, `index.json` and `blobs/` when absent. Default false. */
  create?: boolean;
  /** Machine effects (tests pass a fake). Default: the real machine. */
  sys?: Sys;
  /** How long writers wait for the store lock. Default 60 000 ms. */
  lockWaitMs?: number;
}

/**
 * An OCI image layout on disk (image-spec v1.1, zot-compatible): verified streaming reads,
 * crash-safe verified writes, tags (`org.opencontainers.image.ref.name`, exact match,
 * `sha256:<hex>` allowed), referrers found in the layout. Reads take no lock; writes hold the
 * store lock shared; gc holds it exclusive. Import from `@mos/oci-store`.
 *
 * @example
 * import { LayoutStore, MediaType } from '@mos/oci-store';
 * const store = await LayoutStore.open('/tmp/layout', { create: true });
 * const config = await store.pushJson({ rootfs: { type: 'layers', diff_ids: [] } }, MediaType.ImageConfig);
 * const manifest = await store.pushJson({ schemaVersion: 2, mediaType: MediaType.ImageManifest, config, layers: [] }, MediaType.ImageManifest);
 * await store.tag(manifest, 'v1');
 * (await store.resolve('v1')).digest === manifest.digest; // true
 */
export class LayoutStore implements Store, Deleter, TagResolver, Tagger, TagLister, ReferrerLister, RootAdder {
  /** The store lock (shared for writes, exclusive for gc). */
  readonly lock: StoreLock;
  /** Where temp files are staged: `<dir>/.uploads`. */
  readonly uploadsDir: string;

  private constructor(readonly dir: string, readonly sys: Sys, private readonly lockOpts: LockOptions) {
    this.lock = new StoreLock(dir, sys);
    this.uploadsDir = join(dir, UPLOADS);
  }

  /** Opens (or with `create`, creates) the layout at `dir`; `ERR_OCI_INVALID_LAYOUT` otherwise. */
  static async open(dir: string, opts: LayoutOpenOptions = {}): Promise<LayoutStore> {
    const abs = resolvePath(dir);
    const sys = opts.sys ?? realSys;
    await openLayoutDir(abs, opts.create ?? false, sys);
    return new LayoutStore(abs, sys, { waitMs: opts.lockWaitMs });
  }

  /** `<dir>/blobs/<alg>/<hex>` for a validated digest (throws `ERR_OCI_INVALID_DIGEST`). */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, encoded);
  }

  /** True when the blob file exists with the descriptor's size (content is verified on read). */
  async exists(desc: Descriptor): Promise<boolean> {
    assertDescriptor(desc);
    try {
      const st = await fsp.stat(this.blobPath(desc.digest));
      return st.isFile() && st.size === desc.size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** The size of the blob file for `digest`, or undefined when it is absent. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      const st = await fsp.stat(this.blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** A verifying stream of the blob (see {@link BlobFetcher.fetch}). */
  async fetch(desc: Descriptor): Promise<Readable> {
    assertDescriptor(desc);
    return openVerified(this.blobPath(desc.digest), desc);
  }

  /** @internal a verifying stream over any file (staged blobs of a batch). */
  fetchFile(path: string, desc: Descriptor): Promise<Readable> {
    return openVerified(path, desc);
  }

  /** The blob's verified bytes; fails with `ERR_OCI_TOO_LARGE` above `cap` (default 4 MiB). */
  async fetchBytes(desc: Descriptor, cap = JSON_CAP): Promise<Buffer> {
    assertDescriptor(desc);
    if (desc.size > cap) throw new TooLargeError(`blob ${desc.digest} (${desc.size} bytes) is larger than ${cap} bytes`, { digest: desc.digest, cap });
    return readAll(await this.fetch(desc), cap, desc.digest);
  }

  /** The blob parsed as JSON, verified first; size-capped (default 4 MiB). */
  async fetchJson<T>(desc: Descriptor, cap = JSON_CAP): Promise<T> {
    return JSON.parse((await this.fetchBytes(desc, cap)).toString('utf8')) as T;
  }

  /** Starts a write batch (takes the store lock shared). */
  async batch(opts: BatchOptions = {}): Promise<LayoutBatch> {
    const handle = await this.lock.shared(this.lockOpts);
    return new LayoutBatch(this, handle, opts);
  }

  /** Runs `fn` in a batch and commits it; aborts (nothing visible) if `fn` throws. */
  async withBatch<T>(fn: (b: LayoutBatch) => Promise<T>, opts: BatchOptions = {}): Promise<T> {
    const b = await this.batch(opts);
    try {
      const out = await fn(b);
      await b.commit();
      return out;
    } finally {
      await b.abort();
    }
  }

  /**
   * Streams `content` into the layout under `desc`: temp file in `.uploads/`, size and digest
   * checked, fsync, rename. Idempotent; wrong content throws and stores nothing.
   */
  push(desc: Descriptor, content: Readable | Uint8Array, opts?: PushOptions): Promise<void> {
    return this.withBatch((b) => b.push(desc, content, opts));
  }

  /** Stores a stream whose digest is computed while writing; returns its descriptor. */
  ingest(content: Readable | Uint8Array, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
    return this.withBatch((b) => b.ingest(content, mediaType, annotations));
  }

  /** Stores a JSON value serialized the way Go does; returns its descriptor. */
  pushJson(value: unknown, mediaType: string): Promise<Descriptor> {
    return this.withBatch((b) => b.pushJson(value, mediaType));
  }

  /** The current `index.json` (`manifests: null` reads as `[]`). */
  index(): Promise<ImageIndex> {
    return readIndex(this.dir);
  }

  /** The one descriptor tagged `tag` (exact ref.name match), or a typed error. */
  async resolve(tag: string): Promise<Descriptor> {
    assertLayoutTag(tag);
    return resolveTag(await this.index(), tag, this.dir);
  }

  /** Points `tag` at `desc` (atomic `index.json` replace under the store lock). */
  tag(desc: Descriptor, tag: string): Promise<void> {
    return this.withBatch((b) => b.tag(desc, tag));
  }

  /** Adds an untagged `index.json` entry (a GC root) unless the digest already has one. */
  addRoot(desc: Descriptor): Promise<void> {
    return this.withBatch((b) => b.addRoot(desc));
  }

  /** Removes every entry carrying `tag` (the blobs stay until gc). */
  untag(tag: string): Promise<void> {
    return this.withBatch((b) => b.untag(tag));
  }

  /** Every tag, sorted. */
  async tags(): Promise<string[]> {
    return tagsOf(await this.index());
  }

  /** Manifests in this layout whose `subject` is `subject` (optionally of one artifactType). */
  referrers(subject: Descriptor, opts: ReferrersOptions = {}): Promise<Descriptor[]> {
    assertDescriptor(subject, 'subject');
    return findReferrers(this, subject.digest, opts);
  }

  /**
   * Deletes a blob and every `index.json` entry naming it, under the store lock (exclusive,
   * like gc, so no import is relying on it). `ERR_OCI_NOT_FOUND` when absent.
   */
  async delete(desc: Descriptor): Promise<void> {
    assertDescriptor(desc);
    const handle = await this.lock.exclusive(this.lockOpts);
    try {
      const path = this.blobPath(desc.digest);
      const index = await this.index();
      const next = withoutDigest(index, desc.digest);
      try {
        await fsp.stat(path);
      } catch {
        throw new NotFoundError(`blob ${desc.digest} not found`, { digest: desc.digest });
      }
      if (next) {
        const il = await this.lock.index(this.lockOpts);
        try {
          await writeIndex(this.dir, withoutDigest(await this.index(), desc.digest) ?? next, this.sys);
        } finally {
          await il.release();
        }
      }
      await fsp.rm(path, { force: true });
      await this.sys.fsyncDir(join(path, '..'));
    } finally {
      await handle.release();
    }
  }

  /** Takes the store lock exclusive (gc, repair); release the handle when done. */
  exclusive() {
    return this.lock.exclusive(this.lockOpts);
  }
}
