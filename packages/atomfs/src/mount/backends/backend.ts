import type { BackendName, Ctx, LayerCheck, LayerRecord, LayerSpec, Protection } from '../types';
import { verifyVerity } from '../../verity/verify';

/** What a backend needs to bring one layer up. */
export interface MountRequest {
  layer: LayerSpec;
  /** The verity superblock offset (end of the squashfs image). */
  hashOffset: number;
  /** Where the layer must appear (an existing empty dir). */
  mountpoint: string;
  /** False only for `insecure` mounts of layers without a root hash. */
  verify: boolean;
  /** The layer was verified by this operation just before (the hashing is not repeated). */
  preverified?: boolean;
}

/** A mount backend: one way of turning a verity-protected squashfs file into a directory. */
export interface Backend {
  name: BackendName;
  /** Null when usable here, else why not. */
  unavailable(ctx: Ctx): string | null;
  mount(ctx: Ctx, req: MountRequest): Promise<{ device?: string; backing?: string; protection: Protection; status: string }>;
  /** Undo `mount` (unmount, close devices, remove extracted files). */
  release(ctx: Ctx, rec: LayerRecord): Promise<void>;
  /** Re-check a mounted layer (dm status, or a full re-hash). */
  check(ctx: Ctx, rec: LayerRecord): Promise<LayerCheck>;
}

export const STATUS_AT_MOUNT = 'verified at mount, not enforced on read';
export const STATUS_UNVERIFIED = 'UNVERIFIED: mounted without a root hash (insecure)';

/** The upfront userspace verification every non-dm backend does before exposing a layer. */
export async function verifyBeforeMount(ctx: Ctx, req: MountRequest): Promise<void> {
  if (!req.verify || req.preverified) return;
  await verifyVerity(req.layer.path, req.layer.rootHash!, {
    hashOffset: req.hashOffset,
    threads: ctx.threads,
    pool: ctx.pool,
    onProgress: ctx.onProgress && ((p) => ctx.onProgress!({ ...p, phase: 'verify', layer: req.layer.id })),
  });
}

/** Re-hash check shared by the backends that verify in userspace. */
export async function recheckByHash(ctx: Ctx, rec: LayerRecord, extra = ''): Promise<LayerCheck> {
  const base = { id: rec.id, backend: rec.backend, protection: rec.protection };
  if (!rec.rootHash) return { ...base, ok: true, detail: STATUS_UNVERIFIED };
  try {
    await verifyVerity(rec.path, rec.rootHash, { hashOffset: rec.hashOffset, threads: ctx.threads, pool: ctx.pool });
    return { ...base, ok: true, detail: `re-hashed: OK (${STATUS_AT_MOUNT}${extra})` };
  } catch (e) {
    return { ...base, ok: false, detail: `CORRUPTION FOUND: ${(e as Error).message}` };
  }
}
