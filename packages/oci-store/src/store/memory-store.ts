import { Readable } from 'node:stream';
import { NotFoundError, SizeMismatchError } from '../errors';
import { assertLayoutTag } from '../format/names';
import { isGraphType } from '../format/media-types';
import { parseGraphBlob } from '../format/parse-manifest';
import type { Descriptor, ImageIndex } from '../format/types';
import { assertDescriptor } from '../lib/assert';
import { readAll } from '../lib/read-all';
import { verifyBytes } from '../lib/verify-stream';
import { resolveTag, tagsOf, withTag, withUntagged, withoutDigest } from '../layout/tags';
import type { Deleter, PushOptions, ReferrerLister, ReferrersOptions, RootAdder, Store, TagLister, TagResolver, Tagger } from './interfaces';

/**
 * A store in memory with the same contract as `LayoutStore` (verified writes, idempotent
 * push, exact tags, referrers). For tests and small caches; it buffers whole blobs, so do
 * not use it for layers of real size.
 *
 * @example
 * import { MemoryStore } from '@mos/oci-store';
 * const mem = new MemoryStore();
 * await mem.push(desc, bytes);
 */
export class MemoryStore implements Store, Deleter, TagResolver, Tagger, TagLister, ReferrerLister, RootAdder {
  private readonly blobs = new Map<string, Buffer>();
  private index: ImageIndex = { schemaVersion: 2, manifests: [] };

  async exists(desc: Descriptor): Promise<boolean> {
    assertDescriptor(desc);
    return this.blobs.get(desc.digest)?.length === desc.size;
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    assertDescriptor(desc);
    const b = this.blobs.get(desc.digest);
    if (!b) throw new NotFoundError(`blob ${desc.digest} not found`, { digest: desc.digest });
    verifyBytes(desc, b);
    return Readable.from([b]);
  }

  async push(desc: Descriptor, content: Readable | Uint8Array, opts: PushOptions = {}): Promise<void> {
    assertDescriptor(desc);
    if (this.blobs.has(desc.digest)) {
      if (content instanceof Readable) content.destroy();
      return;
    }
    const bytes = content instanceof Uint8Array ? Buffer.from(content) : await readAll(content, desc.size, desc.digest).catch((e) => {
      if (e.code !== 'ERR_OCI_TOO_LARGE') throw e;
      throw new SizeMismatchError(`content of ${desc.digest} is longer than ${desc.size} bytes`, { digest: desc.digest, expected: desc.size });
    });
    verifyBytes(desc, bytes);
    opts.onBytes?.(bytes.length);
    this.blobs.set(desc.digest, bytes);
  }

  async delete(desc: Descriptor): Promise<void> {
    if (!this.blobs.delete(desc.digest)) throw new NotFoundError(`blob ${desc.digest} not found`, { digest: desc.digest });
    this.index = withoutDigest(this.index, desc.digest) ?? this.index;
  }

  async resolve(tag: string): Promise<Descriptor> {
    assertLayoutTag(tag);
    return resolveTag(this.index, tag, 'memory store');
  }

  async tag(desc: Descriptor, tag: string): Promise<void> {
    assertDescriptor(desc);
    assertLayoutTag(tag);
    this.index = withTag(this.index, desc, tag) ?? this.index;
  }

  async addRoot(desc: Descriptor): Promise<void> {
    assertDescriptor(desc);
    this.index = withUntagged(this.index, desc) ?? this.index;
  }

  async tags(): Promise<string[]> {
    return tagsOf(this.index);
  }

  /** The entries (tagged and untagged), like a layout's `index.json`. */
  async entries(): Promise<Descriptor[]> {
    return [...this.index.manifests];
  }

  async referrers(subject: Descriptor, opts: ReferrersOptions = {}): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const d of this.index.manifests) {
      const b = this.blobs.get(d.digest);
      if (!b || !isGraphType(d.mediaType)) continue;
      const p = parseGraphBlob(b, d.mediaType);
      if (!p || p.value.subject?.digest !== subject.digest) continue;
      const artifactType = p.value.artifactType ?? (p.kind === 'manifest' ? p.value.config.mediaType : undefined);
      if (opts.artifactType && opts.artifactType !== artifactType) continue;
      out.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, ...(artifactType ? { artifactType } : {}), ...(p.value.annotations ? { annotations: p.value.annotations } : {}) });
    }
    return out;
  }
}
