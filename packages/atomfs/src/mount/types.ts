import type { Sys } from '../sys';
import type { HashPool, Progress } from '../verity/hash-pool';

/** How a layer is made available; see README "Mount backends". */
export type BackendName = 'dm-verity' | 'verified-loop' | 'squashfuse' | 'extract';

/** How strongly a mounted layer is protected. */
export type Protection =
  /** dm-verity checks every block on every read. */
  | 'enforced'
  /** The whole layer was re-hashed against the root hash before mounting; reads are not checked. */
  | 'verified-at-mount'
  /** Mounted without a root hash because the caller passed `insecure`. */
  | 'unverified';

/** One layer to mount: a squashfs file (verity appended) and the root hash that pins it. */
export interface LayerSpec {
  /** Name of the shared mount under scratch (the layer digest hex for OCI images). */
  id: string;
  /** The layer file. */
  path: string;
  /** Verity root hash (64 hex). Required unless the mount is `insecure`. */
  rootHash?: string;
}

/** What is recorded under `<scratch>/layers/<id>.json` for a shared layer mount. */
export interface LayerRecord {
  version: 1;
  id: string;
  path: string;
  rootHash: string | null;
  hashOffset: number;
  backend: BackendName;
  protection: Protection;
  /** Human-readable protection, as status output shows it. */
  status: string;
  mountpoint: string;
  /** Backing device (loop device, dm device), when there is one. */
  device?: string;
  /** The loop device under a dm device, detached when the layer is released. */
  backing?: string;
  mountedAt: string;
}

/** Context shared by every backend call. */
export interface Ctx {
  sys: Sys;
  threads?: number;
  /** Hashing workers shared by every layer of one operation. */
  pool?: HashPool;
  onProgress?: (p: Progress & { layer?: string }) => void;
}

/** The per-layer result of re-checking a mounted layer. */
export interface LayerCheck {
  id: string;
  backend: BackendName;
  protection: Protection;
  ok: boolean;
  detail: string;
}
