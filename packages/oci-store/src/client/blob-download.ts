import { Readable } from 'node:stream';
import { RegistryProtocolError, SizeMismatchError, AbortedError } from '../errors';
import { hasherFor } from '../format/digest';
import type { Descriptor } from '../format/types';
import { checkDigest, VERIFIES } from '../lib/verify-stream';
import { discardBody, header, type HttpResponse } from './http';
import { backoffDelay, isConnectionError } from './retry';
import type { RegistryClient } from './registry-client';

/** Opens the blob at `offset` (0 = whole blob): resolves to a 200/206 response or throws. */
export type RangeOpener = (offset: number) => Promise<HttpResponse>;

/**
 * A verifying blob download that survives broken connections: when a response ends early or
 * errors, it re-requests the rest with `Range: bytes=<n>-` (after backoff) and continues the
 * same hash, so the whole digest is still checked at the end. A server that ignores the
 * range (200) is read from the start again with a fresh hash. Memory stays bounded: data
 * flows with backpressure and is never collected.
 */
export class ResumableDownload extends Readable {
  private hash;
  private count = 0;
  private res?: HttpResponse;
  private resumes = 0;
  private opening = false;

  constructor(
    private readonly desc: Descriptor,
    private readonly open: RangeOpener,
    private readonly client: RegistryClient,
    private readonly maxResumes = client.opts.retries ?? 5,
    private readonly signal?: AbortSignal,
  ) {
    super({ highWaterMark: 1 << 20 });
    (this as { [VERIFIES]?: string })[VERIFIES] = `${desc.digest}:${desc.size}`;
    this.hash = hasherFor(desc.digest);
  }

  /** Bytes received so far (verified at the end). */
  get bytes(): number {
    return this.count;
  }

  override _read(): void {
    if (this.res) {
      this.res.body.resume();
      return;
    }
    if (!this.opening) void this.start();
  }

  private async start(): Promise<void> {
    this.opening = true;
    try {
      const res = await this.open(this.count);
      if (this.destroyed) return void discardBody(res);
      let skip = 0;
      if (res.status === 200) {
        // Range ignored (or a fresh start): drop the bytes we already delivered and hashed.
        skip = this.count;
      } else if (res.status === 206) {
        const cr = header(res, 'content-range');
        const start = cr ? Number(/bytes\s+(\d+)-/.exec(cr)?.[1]) : NaN;
        if (start !== this.count) {
          await discardBody(res);
          throw new RegistryProtocolError(`${this.client.registry} answered Range ${this.count}- with "${cr}"`, { digest: this.desc.digest });
        }
      } else {
        await discardBody(res);
        throw new RegistryProtocolError(`${this.client.registry} answered ${res.status} to a blob GET`, { digest: this.desc.digest });
      }
      this.attach(res, skip);
    } catch (e) {
      this.destroy(e as Error);
    } finally {
      this.opening = false;
    }
  }

  private attach(res: HttpResponse, skip: number): void {
    this.res = res;
    const body = res.body;
    body.on('data', (data: Buffer) => {
      let chunk = data;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) return;
      }
      this.count += chunk.length;
      if (this.count > this.desc.size) {
        body.destroy();
        this.destroy(new SizeMismatchError(`${this.client.registry} sent more than ${this.desc.size} bytes for ${this.desc.digest}`, { digest: this.desc.digest, expected: this.desc.size, actual: this.count }));
        return;
      }
      this.hash.update(chunk);
      if (!this.push(chunk)) body.pause();
    });
    let settled = false;
    const ended = (err?: Error) => {
      if (settled || this.destroyed) return;
      settled = true;
      this.res = undefined;
      if (this.count === this.desc.size) {
        const bad = checkDigest(this.desc, this.count, this.hash);
        if (bad) this.destroy(bad);
        else this.push(null);
        return;
      }
      // Short: a truncated body or a dropped connection. Resume from where we are.
      const reason = err?.message ?? `body ended after ${this.count} of ${this.desc.size} bytes`;
      if (this.signal?.aborted) return void this.destroy(new AbortedError('download aborted'));
      if ((err && !isConnectionError(err) && !/aborted|premature/i.test(err.message)) || this.resumes >= this.maxResumes) {
        this.destroy(err ?? new SizeMismatchError(`${this.client.registry} sent ${this.count} of ${this.desc.size} bytes for ${this.desc.digest}`, { digest: this.desc.digest, expected: this.desc.size, actual: this.count }));
        return;
      }
      const delayMs = backoffDelay(this.resumes++, this.client.opts);
      this.client.opts.onRetry?.({ attempt: this.resumes, delayMs, reason: `resume at ${this.count}: ${reason}`, url: res.url.toString() });
      setTimeout(() => void this.start(), delayMs);
    };
    body.on('end', () => ended());
    body.on('error', (e) => ended(e));
    body.on('close', () => ended(body.readableEnded ? undefined : new Error('premature close')));
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.res?.body.destroy();
    cb(err);
  }
}
