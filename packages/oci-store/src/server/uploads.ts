import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { RegistryError } from '../errors';
import { UPLOADS } from '../layout/index-file';
import type { LayoutStore } from '../layout/layout-store';

/** One upload session: bytes so far in `.uploads/session-<id>`, hashed as they arrive. */
export interface UploadSession {
  id: string;
  repo: string;
  path: string;
  offset: number;
  hash: Hash;
  /** A PATCH is being written (sessions are strictly sequential). */
  busy: boolean;
  touched: number;
}

/**
 * Upload sessions of the registry server. Chunks are appended in order (a `Content-Range`
 * that does not start at the current offset is refused with 416) and hashed incrementally, so
 * the final PUT needs no re-read: the file is adopted into a layout batch (one barrier, rename
 * into `blobs/`). Sessions live in memory; files of sessions lost to a restart are swept by gc
 * after a day.
 */
export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  /** Starts a session in `store` for repository `repo`. */
  async start(store: LayoutStore, repo: string): Promise<UploadSession> {
    const id = randomUUID();
    await fsp.mkdir(join(store.dir, UPLOADS), { recursive: true });
    const path = join(store.dir, UPLOADS, `session-${id}`);
    await fsp.writeFile(path, '', { flag: 'wx', mode: 0o644 });
    const s: UploadSession = { id, repo, path, offset: 0, hash: createHash('sha256'), busy: false, touched: Date.now() };
    this.sessions.set(id, s);
    return s;
  }

  /** The session `id` of `repo`, or `BLOB_UPLOAD_UNKNOWN`. */
  get(repo: string, id: string): UploadSession {
    const s = this.sessions.get(id);
    if (!s || s.repo !== repo) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} unknown`, 404);
    return s;
  }

  /** Appends `body` at `start` (default: the current offset); returns the new offset. */
  async append(s: UploadSession, body: Readable, start?: number): Promise<number> {
    if (s.busy) throw new RegistryError('BLOB_UPLOAD_INVALID', 'another chunk of this upload is in progress', 416);
    if (start !== undefined && start !== s.offset) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${start}, upload is at ${s.offset}`, 416);
    }
    s.busy = true;
    let n = 0;
    const hash = s.hash.copy();
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        n += chunk.length;
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(s.path, { flags: 'a', highWaterMark: 1 << 20 }));
      s.hash = hash;
      s.offset += n;
    } catch (e) {
      // A broken chunk: cut the file back so the session stays consistent.
      await fsp.truncate(s.path, s.offset).catch(() => undefined);
      throw e;
    } finally {
      s.busy = false;
      s.touched = Date.now();
    }
    return s.offset;
  }

  /** The sha256 digest of everything appended so far. */
  digest(s: UploadSession): string {
    return `sha256:${s.hash.copy().digest('hex')}`;
  }

  /** Forgets a session (after commit, or cancel: then the file is removed too). */
  async end(s: UploadSession, removeFile: boolean): Promise<void> {
    this.sessions.delete(s.id);
    if (removeFile) await fsp.rm(s.path, { force: true });
  }

  /** Cancels every session (server shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.end(s, true)));
  }
}
