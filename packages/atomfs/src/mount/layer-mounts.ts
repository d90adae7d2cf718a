import { mkdir, rm, rmdir, unlink } from 'node:fs/promises';
import { BusyError, InsecureRefusedError, LayerConflictError, ToolFailedError } from '../errors';
import { writeJsonAtomic } from '../lib/json-file';
import { mountAt, parseMountinfo } from '../lib/mountinfo';
import { checkVerityPresence, locateVerity } from '../verity/locate';
import { verifyVerity } from '../verity/verify';
import { BACKENDS, chooseBackend } from './backends';
import type { Scratch } from './scratch';
import type { BackendName, Ctx, LayerRecord, LayerSpec } from './types';

/** A layer checked for mounting: its verity offset, before anything is mounted. */
export interface PreparedLayer {
  spec: LayerSpec;
  hashOffset: number;
  verify: boolean;
  /** Already re-hashed against its root hash by this operation (see {@link preverify}). */
  preverified?: boolean;
}

/**
 * Checks a layer without mounting it: squashfs, and verity data present exactly when a root
 * hash is given. Without a root hash the layer is refused unless `insecure`.
 */
export async function prepareLayer(spec: LayerSpec, insecure: boolean): Promise<PreparedLayer> {
  const loc = await locateVerity(spec.path);
  if (spec.rootHash || !insecure) {
    checkVerityPresence(loc, spec.rootHash);
    if (!spec.rootHash) {
      throw new InsecureRefusedError(`${spec.path}: layer ${spec.id} has no root hash; refusing to mount it unverified (pass insecure to allow)`, {
        file: spec.path,
        layer: spec.id,
      });
    }
  } else checkVerityPresence({ ...loc, hasVerityData: false }, undefined); // still must be squashfs
  return { spec, hashOffset: loc.hashOffset, verify: !!spec.rootHash };
}

/**
 * Verifies, all at once on the shared pool, every layer that a userspace-verifying backend will
 * mount (layers already mounted and shared are skipped), so the hashing of all layers overlaps
 * and a bad layer is refused before anything is mounted. A layer whose shared mount goes away
 * before the lock is taken is simply verified again when it is mounted.
 */
export async function preverify(ctx: Ctx, scratch: Scratch, layers: PreparedLayer[], backend?: BackendName): Promise<void> {
  const todo: PreparedLayer[] = [];
  for (const p of layers) {
    if (!p.verify || chooseBackend(ctx, backend, true).name === 'dm-verity') continue;
    const rec = await scratch.readLayer(p.spec.id);
    if (rec && rec.rootHash === p.spec.rootHash?.toLowerCase() && rec.path === p.spec.path && (await isLive(ctx, rec))) continue;
    todo.push(p);
  }
  const runs = todo.map((p) =>
    verifyVerity(p.spec.path, p.spec.rootHash!, {
      hashOffset: p.hashOffset,
      threads: ctx.threads,
      pool: ctx.pool,
      onProgress: ctx.onProgress && ((pr) => ctx.onProgress!({ ...pr, phase: 'verify', layer: p.spec.id })),
    }),
  );
  const results = await Promise.allSettled(runs);
  // Report the topmost bad layer, the same one a sequential mount would have hit first.
  const bad = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (bad) throw bad.reason;
  for (const p of todo) p.preverified = true;
}

/** Whether a recorded layer is still in place (mounted, or extracted). */
async function isLive(ctx: Ctx, rec: LayerRecord): Promise<boolean> {
  if (rec.backend === 'extract') return true;
  return !!mountAt(parseMountinfo(await ctx.sys.mountinfo()), rec.mountpoint);
}

/**
 * Mounts a layer at `<scratch>/layers/<id>` or reuses the shared mount already there. Reuse
 * requires the same file and root hash (a mount made insecurely is never reused by a verified
 * molecule). Returns the record and whether this call created the mount. Call under the lock.
 */
export async function ensureLayer(ctx: Ctx, scratch: Scratch, p: PreparedLayer, backend?: BackendName): Promise<{ record: LayerRecord; created: boolean }> {
  const { spec } = p;
  const existing = await scratch.readLayer(spec.id);
  if (existing) {
    if (await isLive(ctx, existing)) {
      if (existing.rootHash !== (spec.rootHash?.toLowerCase() ?? null) || existing.path !== spec.path) {
        throw new LayerConflictError(`layer ${spec.id} is already mounted from ${existing.path} with root hash ${existing.rootHash ?? 'none'}`, {
          layer: spec.id,
          expected: spec.rootHash ?? null,
          actual: existing.rootHash,
        });
      }
      return { record: existing, created: false };
    }
    await unlink(scratch.layerRecord(spec.id)).catch(() => undefined); // stale (e.g. after a reboot)
  }
  const b = chooseBackend(ctx, backend, !!spec.rootHash);
  const mountpoint = scratch.layerDir(spec.id);
  await mkdir(mountpoint, { recursive: true, mode: 0o755 });
  let r;
  try {
    r = await b.mount(ctx, { layer: spec, hashOffset: p.hashOffset, mountpoint, verify: p.verify, preverified: p.preverified });
  } catch (e) {
    await rmdir(mountpoint).catch(() => undefined);
    throw e;
  }
  const record: LayerRecord = {
    version: 1,
    id: spec.id,
    path: spec.path,
    rootHash: spec.rootHash?.toLowerCase() ?? null,
    hashOffset: p.hashOffset,
    backend: b.name,
    protection: r.protection,
    status: r.status,
    mountpoint,
    ...(r.device ? { device: r.device } : {}),
    ...(r.backing ? { backing: r.backing } : {}),
    mountedAt: new Date().toISOString(),
  };
  try {
    await writeJsonAtomic(scratch.layerRecord(spec.id), record);
  } catch (e) {
    await releaseLayer(ctx, scratch, record);
    throw e;
  }
  return { record, created: true };
}

/** Unmounts a layer (and closes its device), then removes its mountpoint and record. */
export async function releaseLayer(ctx: Ctx, scratch: Scratch, rec: LayerRecord): Promise<void> {
  if (await isLive(ctx, rec)) await BACKENDS[rec.backend].release(ctx, rec);
  if (rec.backend === 'extract') await rm(rec.mountpoint, { recursive: true, force: true });
  else await rmdir(rec.mountpoint).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await unlink(scratch.layerRecord(rec.id)).catch(() => undefined);
}

/**
 * Releases every layer in `ids` that no mounted molecule references any more. Records whose
 * overlay is gone (unmounted by hand, or a crash) do not hold layers. Call under the lock.
 */
export async function releaseUnused(ctx: Ctx, scratch: Scratch, ids: string[]): Promise<string[]> {
  const mounts = parseMountinfo(await ctx.sys.mountinfo());
  const live = (await scratch.molecules()).filter((m) => mountAt(mounts, m.dest)?.fstype === 'overlay');
  const inUse = new Set(live.flatMap((m) => m.layers.map((l) => l.id)));
  const released: string[] = [];
  let first: unknown;
  for (const id of new Set(ids)) {
    if (inUse.has(id)) continue;
    const rec = await scratch.readLayer(id);
    if (!rec) continue;
    // One busy layer must not keep the others mounted: release all, then report the first error.
    try {
      await releaseLayer(ctx, scratch, rec);
      released.push(id);
    } catch (e) {
      const busy = e instanceof ToolFailedError && /busy/i.test(String(e.details.stderr ?? e.message));
      first ??= busy ? new BusyError(`layer mount ${rec.mountpoint} is busy; close what uses it and retry`, { layer: id }, { cause: e }) : e;
    }
  }
  if (first !== undefined) throw first;
  return released;
}
