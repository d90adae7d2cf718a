import type { Readable } from 'node:stream';
import type { Descriptor } from '../format/types';

/**
 * The small role interfaces every store implements (oras-go `content`, umoci `cas.Engine`).
 * Methods take full descriptors so each implementation can verify size and digest.
 * Implementations: `LayoutStore` (an OCI image layout), `MemoryStore` (tests, caches) and
 * `RemoteRepository` (a registry repository). Import from `@mos/oci-store`.
 */

/** Options of a blob write. */
export interface PushOptions {
  /** Called with the bytes written so far (for progress bars). Default: none. */
  onBytes?: (bytes: number) => void;
  /** Cancels the write; nothing is stored. Default: none. */
  signal?: AbortSignal;
  /** The caller has just checked that the blob is absent (skip a second HEAD). Default false. */
  knownAbsent?: boolean;
}

/** Reads blobs. */
export interface BlobFetcher {
  /**
   * A stream of the blob's bytes that fails with `ERR_OCI_DIGEST_MISMATCH` /
   * `ERR_OCI_SIZE_MISMATCH` instead of ending cleanly when the content is wrong.
   * Throws `ERR_OCI_NOT_FOUND` (local) or a `RegistryError` with `notFound` (remote) when absent.
   */
  fetch(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Readable>;
}

/** Writes blobs. */
export interface BlobPusher {
  /**
   * Stores `content` under `desc`. Idempotent: an existing blob is not rewritten. Wrong size or
   * digest fails with the mismatch error and stores nothing.
   */
  push(desc: Descriptor, content: Readable | Uint8Array, opts?: PushOptions): Promise<void>;
}

/** Reads and asks for blobs. */
export interface ReadOnlyStore extends BlobFetcher {
  /** True when the blob is present (size checked where cheap; content is verified on read). */
  exists(desc: Descriptor): Promise<boolean>;
}

/** Reads and writes blobs. */
export interface Store extends ReadOnlyStore, BlobPusher {}

/** Deletes blobs (and the index entries naming them, for stores that have an index). */
export interface Deleter {
  /** Removes the blob; throws not-found when it is absent. */
  delete(desc: Descriptor): Promise<void>;
}

/** Maps tags (references) to descriptors. */
export interface TagResolver {
  /** Exactly one descriptor for `ref`, or `ERR_OCI_TAG_NOT_FOUND` / `ERR_OCI_AMBIGUOUS_TAG`. */
  resolve(ref: string): Promise<Descriptor>;
}

/** Points tags at descriptors. */
export interface Tagger {
  /** Points `ref` at `desc` (the manifest must already be stored); atomic. */
  tag(desc: Descriptor, ref: string): Promise<void>;
}

/** Lists tags. */
export interface TagLister {
  /** Every tag, sorted. */
  tags(): Promise<string[]>;
}

/** Options of a referrers query. */
export interface ReferrersOptions {
  /** Only artifacts of this type. Default: all. */
  artifactType?: string;
}

/** Finds the manifests whose `subject` is a given manifest. */
export interface ReferrerLister {
  /**
   * Descriptors (with `artifactType` and the referrer's annotations) of every manifest whose
   * `subject` has `subject.digest`. Empty when there are none.
   */
  referrers(subject: Descriptor, opts?: ReferrersOptions): Promise<Descriptor[]>;
}

/** Keeps an untagged manifest reachable (an `index.json` entry, a by-digest registry push). */
export interface RootAdder {
  /** Records `desc` (already stored) as a root without a tag. */
  addRoot(desc: Descriptor): Promise<void>;
}

/** What a copy reads from. */
export type CopySource = ReadOnlyStore & Partial<TagResolver & ReferrerLister>;
/** What a copy writes to. */
export type CopyTarget = Store & Partial<Tagger & RootAdder>;
