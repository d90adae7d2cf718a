import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AlreadyMountedError, BadArgumentError, OptionsTooLongError } from '../errors';
import { writeJsonAtomic } from '../lib/json-file';
import { withLock } from '../lib/lock';
import { mountAt, parseMountinfo } from '../lib/mountinfo';
import { assertMountPath, assertSafeId } from '../lib/paths';
import { realSys, type Sys } from '../sys';
import { HashPool } from '../verity/hash-pool';
import { parseRootHash } from '../verity/verify';
import { ensureLayer, prepareLayer, preverify, releaseUnused, type PreparedLayer } from './layer-mounts';
import { DEFAULT_SCRATCH, Scratch, type MoleculeRecord } from './scratch';
import type { BackendName, Ctx, LayerRecord, LayerSpec } from './types';

export interface MountMoleculeOptions {
  /** Where the root appears (created if missing). */
  dest: string;
  /** The layers, base first (OCI manifest order). */
  layers: LayerSpec[];
  /** Scratch dir for layer mounts, records and upper dirs. Default `/run/atomfs`. */
  scratch?: string;
  /** Add a writable upper dir (under scratch). Default false: a read-only root. */
  writable?: boolean;
  /** Keep upper/work on umount; a later writable mount at the same dest picks them up again. Default false. */
  keep?: boolean;
  /**
   * Discard an upper dir left by an earlier writable mount at the same dest instead of picking
   * it up. Default false. A boot sets it: the upper lives on writable disk, and writes left
   * there (offline, by anyone with the disk) must never shadow the verified layers.
   */
  fresh?: boolean;
  /**
   * The path the root will have after a root switch, under which it is recorded (the initrd
   * mounts hostfs at `/sysroot`, and the booted system sees it at `/`). Default: `dest`.
   */
  recordAs?: string;
  /** Force a backend for new layer mounts. Default: chosen per machine (see README). */
  backend?: BackendName;
  /** Allow layers without a root hash (mounted unverified, and reported so). Default false. */
  insecure?: boolean;
  /**
   * Mount the root `nodev`: device nodes shipped in the layers cannot be opened through it (a
   * container root: its /dev is lxc's own). Default false (hostfs needs none either, but its
   * /dev is devtmpfs anyway).
   */
  nodev?: boolean;
  /** Free-form provenance stored in the record (e.g. the image reference). */
  source?: Record<string, string>;
  /** Worker threads for verification. Default: all cores. */
  threads?: number;
  onProgress?: Ctx['onProgress'];
  sys?: Sys;
}

/** A mounted molecule: its record plus each layer's backend and protection. */
export interface MountedMolecule extends MoleculeRecord {
  layerRecords: LayerRecord[];
}

/** Linux copies at most one page of mount data, NUL included. */
const MAX_OPTIONS = 4095;

/**
 * Mounts layers as one overlay root at `dest`: each layer is mounted (or a shared mount
 * reused) under `<scratch>/layers/<id>` after the checks its backend makes (dm-verity, or a
 * full userspace verify), then `mount -t overlay` with the layers top first, `index=off` and
 * `userxattr` (our opaque dirs use `user.overlay.opaque`). On any failure everything this call
 * mounted is undone before the error is thrown.
 *
 * @example
 * import { mountMolecule } from '@mos/atomfs';
 * await mountMolecule({ dest: '/mnt/root', layers: [{ id: 'base', path: 'base.squashfs', rootHash }] });
 */
export async function mountMolecule(opts: MountMoleculeOptions): Promise<MountedMolecule> {
  const sys = opts.sys ?? realSys;
  const ctx: Ctx = { sys, threads: opts.threads, onProgress: opts.onProgress, pool: new HashPool(opts.threads) };
  try {
    return await mountWithPool(opts, sys, ctx);
  } finally {
    await ctx.pool!.close();
  }
}

async function mountWithPool(opts: MountMoleculeOptions, sys: Sys, ctx: Ctx): Promise<MountedMolecule> {
  if (!opts.layers?.length) throw new BadArgumentError('a molecule needs at least one layer', {});
  for (const l of opts.layers) {
    assertSafeId(l.id);
    if (l.rootHash !== undefined) parseRootHash(l.rootHash);
  }
  const scratch = new Scratch(opts.scratch ?? DEFAULT_SCRATCH);
  // DEST is created only once every check has passed; its canonical path is known before.
  const dest = assertMountPath(await canonicalPath(opts.dest), 'destination');
  const destStat = await stat(dest).catch(() => undefined);
  if (destStat && !destStat.isDirectory()) throw new BadArgumentError(`${dest} is not a directory`, { dest });
  const recordDest = opts.recordAs ?? dest;
  const molDir = scratch.moleculeDir(recordDest);
  const upper = join(molDir, 'upper');
  const work = join(molDir, 'work');
  // A layer listed twice is shadowed below its topmost copy: overlay gets each dir once.
  const top = [...opts.layers].reverse().filter((l, i, all) => all.findIndex((x) => x.id === l.id) === i);
  const lowers = top.map((l) => scratch.layerDir(l.id));
  // overlayfs needs two lowers when there is no upper; atomfs adds an empty one.
  const single = lowers.length === 1;
  if (single) lowers.push(join(molDir, 'empty'));
  const parts = [`lowerdir=${lowers.join(':')}`];
  if (opts.writable) parts.push(`upperdir=${upper}`, `workdir=${work}`);
  parts.push('index=off', 'userxattr');
  const options = (opts.writable ? '' : 'ro,') + (opts.nodev ? 'nodev,' : '') + parts.join(',');
  if (Buffer.byteLength(options) > MAX_OPTIONS) {
    throw new OptionsTooLongError(`the overlay options for ${top.length} layers are ${Buffer.byteLength(options)} bytes; the kernel limit is ${MAX_OPTIONS}`, {
      layers: top.length,
      bytes: Buffer.byteLength(options),
    });
  }
  // Every layer is checked before anything is mounted.
  const prepared: PreparedLayer[] = [];
  for (const l of top) prepared.push(await prepareLayer(l, !!opts.insecure));
  await scratch.init();
  await preverify(ctx, scratch, prepared, opts.backend);

  await mkdir(dest, { recursive: true });
  return withLock(scratch.lock, async () => {
    if (mountAt(parseMountinfo(await sys.mountinfo()), dest)) {
      throw new AlreadyMountedError(`${dest} is already a mountpoint`, { dest });
    }
    const stale = (await scratch.molecules()).find((m) => m.dest === recordDest);
    if (stale) {
      // A record without its overlay (someone ran umount by hand): forget it before reusing dest.
      await rm(scratch.moleculeRecord(recordDest), { force: true });
      await releaseUnused(ctx, scratch, stale.layers.map((l) => l.id));
    }
    if (opts.writable && opts.fresh) await rm(upper, { recursive: true, force: true });
    const hadUpper = await stat(upper).then(() => true, () => false);
    const created: string[] = [];
    const records: LayerRecord[] = [];
    let overlayUp = false;
    try {
      for (const p of prepared) {
        const { record, created: isNew } = await ensureLayer(ctx, scratch, p, opts.backend);
        records.push(record);
        if (isNew) created.push(record.id);
      }
      await mkdir(molDir, { recursive: true, mode: 0o700 });
      if (opts.writable) {
        await rm(work, { recursive: true, force: true });
        await mkdir(upper, { recursive: true, mode: 0o755 });
        await mkdir(work, { mode: 0o700 });
      }
      if (single) await mkdir(join(molDir, 'empty'), { recursive: true });
      await sys.mount({ fstype: 'overlay', source: 'overlay', target: dest, options });
      overlayUp = true;
      const byId = new Map(records.map((r) => [r.id, r]));
      const record: MoleculeRecord = {
        version: 1,
        dest: recordDest,
        scratch: scratch.dir,
        writable: !!opts.writable,
        keep: !!opts.keep,
        ...(opts.writable ? { upper, work } : {}),
        options,
        layers: top.map((l) => {
          const r = byId.get(l.id)!;
          return { id: r.id, path: r.path, rootHash: r.rootHash, backend: r.backend, protection: r.protection, mountpoint: r.mountpoint };
        }),
        ...(opts.source ? { source: opts.source } : {}),
        mountedAt: new Date().toISOString(),
      };
      await writeJsonAtomic(scratch.moleculeRecord(recordDest), record);
      return { ...record, layerRecords: top.map((l) => byId.get(l.id)!) };
    } catch (e) {
      if (overlayUp) await sys.umount(dest).catch(() => undefined);
      await releaseUnused(ctx, scratch, created).catch(() => undefined);
      if (hadUpper) await rm(work, { recursive: true, force: true }).catch(() => undefined);
      else await rm(molDir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  });
}

/** The real path of `p`, also when it does not exist yet (real path of the deepest existing ancestor + the rest). */
async function canonicalPath(p: string): Promise<string> {
  const abs = resolve(p);
  const rest: string[] = [];
  for (let cur = abs; ; cur = dirname(cur)) {
    const real = await realpath(cur).catch(() => undefined);
    if (real !== undefined) return join(real, ...rest.reverse());
    if (dirname(cur) === cur) return abs;
    rest.push(basename(cur));
  }
}
