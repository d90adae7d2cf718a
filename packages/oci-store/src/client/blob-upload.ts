import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { RegistryProtocolError, SizeMismatchError } from '../errors';
import type { Descriptor } from '../format/types';
import { readAll } from '../lib/read-all';
import { VerifyingStream, verifyBytes } from '../lib/verify-stream';
import { repositoryScope } from './challenge';
import { discardBody, header, type HttpResponse } from './http';
import type { RegistryClient } from './registry-client';

/** Options of a blob upload. */
export interface UploadOptions {
  /** Blobs up to this size go in one `POST ?digest=` (202 → PUT). Default 1 MiB. */
  monolithicMax?: number;
  /** Blobs larger than this are sent as `PATCH` chunks of this size. Default 64 MiB. */
  chunkSize?: number;
  /** Repositories on the same registry to try a cross-repo mount from first. Default none. */
  mountFrom?: string[];
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Appends `digest=` to an upload `Location`, keeping its existing query byte for byte
 * (distribution puts an opaque `_state` there): `?` or `&` as needed.
 */
export function withDigest(location: URL | string, digest: string): string {
  const s = location.toString();
  return `${s}${s.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

function locationOf(res: HttpResponse, registry: string): URL {
  const loc = header(res, 'location');
  if (!loc) throw new RegistryProtocolError(`${registry} started an upload without a Location`, { status: res.status });
  return new URL(loc, res.url);
}

/**
 * Uploads one blob (after the caller's HEAD said it is missing): cross-repo mount if possible,
 * a single `POST ?digest=` for small blobs (handling 202 by continuing with `PUT`), else a
 * session with one streamed `PUT` or, above `chunkSize`, streamed `PATCH` chunks and a final
 * `PUT`. The content is verified on the way; wrong bytes abort before the registry commits.
 */
export async function uploadBlob(client: RegistryClient, repo: string, desc: Descriptor, content: Readable | Uint8Array, opts: UploadOptions = {}): Promise<void> {
  const scopes = [repositoryScope(repo, ['pull', 'push'])];
  const uploads = `/v2/${repo}/blobs/uploads/`;
  let session: URL | undefined;
  for (const from of opts.mountFrom ?? []) {
    if (from === repo) continue;
    const res = await client.send({
      method: 'POST', path: `${uploads}?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
      headers: { 'content-length': 0 }, scopes: [...scopes, repositoryScope(from, ['pull'])], signal: opts.signal,
    });
    if (res.status === 201) {
      await discardBody(res);
      if (content instanceof Readable) content.destroy();
      opts.onBytes?.(desc.size);
      return;
    }
    if (res.status === 202) {
      session = locationOf(res, client.registry);
      await discardBody(res);
      break;
    }
    await discardBody(res); // mount not possible here; upload instead
  }

  const monolithicMax = opts.monolithicMax ?? 1 << 20;
  if (!session && desc.size <= monolithicMax) {
    const bytes = content instanceof Readable ? await readAll(content, desc.size, desc.digest).catch((e) => {
      if (e.code === 'ERR_OCI_TOO_LARGE') throw new SizeMismatchError(`content of ${desc.digest} is longer than ${desc.size} bytes`, { digest: desc.digest, expected: desc.size });
      throw e;
    }) : Buffer.from(content);
    verifyBytes(desc, bytes);
    const res = await client.send({
      method: 'POST', path: `${uploads}?digest=${encodeURIComponent(desc.digest)}`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length }, body: bytes, scopes, signal: opts.signal,
    });
    if (res.status === 201) {
      await discardBody(res);
      opts.onBytes?.(bytes.length);
      return;
    }
    if (res.status !== 202) return client.fail(res, `upload of ${desc.digest}`);
    // 202: the registry ignored the body (docker-registry); finish the session with PUT.
    const loc = locationOf(res, client.registry);
    await discardBody(res);
    const put = await client.send({
      method: 'PUT', path: new URL(withDigest(loc, desc.digest)),
      headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length }, body: bytes, scopes, signal: opts.signal,
    });
    if (put.status !== 201) return client.fail(put, `upload of ${desc.digest}`);
    await discardBody(put);
    opts.onBytes?.(bytes.length);
    return;
  }

  if (!session) {
    const res = await client.send({ method: 'POST', path: uploads, headers: { 'content-length': 0 }, scopes, signal: opts.signal });
    if (res.status !== 202) return client.fail(res, `upload start for ${desc.digest}`);
    session = locationOf(res, client.registry);
    await discardBody(res);
  }
  const source = content instanceof Readable ? content : Readable.from([Buffer.from(content)]);
  const verified = source.pipe(new VerifyingStream(desc));
  source.on('error', (e) => verified.destroy(e));
  const chunkSize = opts.chunkSize ?? 64 << 20;
  if (desc.size <= chunkSize) {
    let sent = 0;
    verified.on('data', (c: Buffer) => opts.onBytes?.((sent += c.length)));
    const put = await client.send({
      method: 'PUT', path: new URL(withDigest(session, desc.digest)),
      headers: { 'content-type': 'application/octet-stream', 'content-length': desc.size }, body: verified, scopes, signal: opts.signal,
    });
    if (put.status !== 201) return client.fail(put, `upload of ${desc.digest}`);
    await discardBody(put);
    return;
  }
  await chunked(client, session, desc, verified, chunkSize, scopes, opts);
}

async function chunked(client: RegistryClient, start: URL, desc: Descriptor, source: Readable, chunkSize: number, scopes: string[], opts: UploadOptions): Promise<void> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let leftover: Buffer | undefined;
  let location = start;
  let offset = 0;
  while (offset < desc.size) {
    const len = Math.min(chunkSize, desc.size - offset);
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const resP = client.send({
      method: 'PATCH', path: location, body, scopes, signal: opts.signal,
      headers: { 'content-type': 'application/octet-stream', 'content-length': len, 'content-range': `${offset}-${offset + len - 1}` },
    });
    resP.catch((e) => body.destroy(e));
    let sent = 0;
    while (sent < len) {
      let c = leftover;
      leftover = undefined;
      if (!c) {
        const n = await it.next();
        if (n.done) throw new SizeMismatchError(`content of ${desc.digest} ended after ${offset + sent} of ${desc.size} bytes`, { digest: desc.digest });
        c = n.value;
      }
      if (c.length > len - sent) {
        leftover = c.subarray(len - sent);
        c = c.subarray(0, len - sent);
      }
      sent += c.length;
      if (!body.write(c)) await once(body, 'drain');
      opts.onBytes?.(offset + sent);
    }
    body.end();
    const res = await resP;
    if (res.status !== 202 && res.status !== 204) return client.fail(res, `upload chunk of ${desc.digest}`);
    location = locationOf(res, client.registry);
    await discardBody(res);
    offset += len;
  }
  // Drain the verifier to its end: a wrong digest fails here, before the committing PUT.
  for (let n = await it.next(); !n.done; n = await it.next()) {
    if (n.value.length) throw new SizeMismatchError(`content of ${desc.digest} is longer than ${desc.size} bytes`, { digest: desc.digest });
  }
  const put = await client.send({ method: 'PUT', path: new URL(withDigest(location, desc.digest)), headers: { 'content-length': 0 }, scopes, signal: opts.signal });
  if (put.status !== 201) return client.fail(put, `upload of ${desc.digest}`);
  await discardBody(put);
}
