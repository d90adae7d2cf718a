import { basename } from 'node:path';
import { DataBlockCorruptError, LayerConflictError, ToolFailedError } from '../../errors';
import type { Sys } from '../../sys';
import { verityTable } from '../../verity/dm-table';
import type { Backend } from './backend';

const STATUS = 'enforced by dm-verity on every read';

/** Present when the kernel has device-mapper (built in, or dm-mod loaded). */
export const DM_MISC = '/sys/class/misc/device-mapper';

/** `/dev/mapper/<id>-verity`, as atomfs names it. */
export const dmName = (id: string) => `${id}-verity`;

// Without udev (an initramfs) dmsetup only makes /dev/mapper/<name> itself when told to.
const DM_ENV = { DM_DISABLE_UDEV: '1' };

/**
 * dm-verity with a table we build ourselves (no veritysetup, so the initramfs carries only
 * dmsetup): attach the layer file to a read-only loop device, `dmsetup create` a verity target
 * whose salt and geometry come from the layer's verity superblock and whose root hash is the
 * signed one, check `dmsetup status` says V, then mount the mapper device read-only. The kernel
 * checks every block when it is read (a bad block reads as EIO, never as data). A wrong root
 * hash is only noticed on the first read, which the squashfs mount does: a mount that fails
 * with the device in state C is reported as corruption of that layer.
 * An existing device of the same name is reused only if its table carries the same root hash.
 */
export const dmVerityBackend: Backend = {
  name: 'dm-verity',
  unavailable(ctx) {
    if (!ctx.sys.isHostRoot()) return 'dm-verity needs root in the initial user namespace';
    // The kernel's registration, not /dev/mapper/control: libdevmapper creates that node even
    // where the kernel has no device-mapper (a `veritysetup dump` does), so it proves nothing.
    if (!ctx.sys.exists(DM_MISC)) return `no device-mapper in this kernel (${DM_MISC} is missing)`;
    return null;
  },
  async mount(ctx, req) {
    const { sys } = ctx;
    const name = dmName(req.layer.id);
    const device = `/dev/mapper/${name}`;
    const root = req.layer.rootHash!.toLowerCase();
    if (sys.exists(device)) {
      const table = (await sys.run('dmsetup', ['table', name])).stdout.trim().split(/\s+/);
      // "0 <sectors> verity 1 <data> <hash> <dbs> <hbs> <n> <start> sha256 <root> <salt>"
      if (table[2] !== 'verity' || table[11] !== root) {
        throw new LayerConflictError(`${device} exists with another root hash`, { device, expected: root, actual: table[11] });
      }
      await checkedMount(sys, req.layer.id, device, req.mountpoint);
      return { device, protection: 'enforced', status: STATUS };
    }
    const loop = await attachLoop(sys, req.layer.path);
    try {
      const t = await verityTable({ file: req.layer.path, device: loop, hashOffset: req.hashOffset, rootHash: root });
      await sys.run('dmsetup', ['create', name, '--readonly', '--table', t.table], { env: DM_ENV });
      try {
        await checkedMount(sys, req.layer.id, device, req.mountpoint);
      } catch (e) {
        await sys.run('dmsetup', ['remove', name], { env: DM_ENV, allowFail: true });
        throw e;
      }
    } catch (e) {
      await sys.run('losetup', ['-d', loop], { allowFail: true });
      throw e;
    }
    return { device, backing: loop, protection: 'enforced', status: STATUS };
  },
  async release(ctx, rec) {
    const { sys } = ctx;
    await sys.umount(rec.mountpoint);
    await sys.run('dmsetup', ['remove', dmName(rec.id)], { env: DM_ENV });
    if (rec.backing) await sys.run('losetup', ['-d', rec.backing], { allowFail: true });
  },
  async check(ctx, rec) {
    const base = { id: rec.id, backend: rec.backend, protection: rec.protection };
    const r = await ctx.sys.run('dmsetup', ['status', dmName(rec.id)], { allowFail: true });
    const status = r.stdout.trim().split(/\s+/).pop();
    if (r.code === 0 && status === 'V') return { ...base, ok: true, detail: `dm status V (${STATUS})` };
    return { ...base, ok: false, detail: r.code === 0 ? `CORRUPTION FOUND: dm status ${status}` : `dm device missing: ${r.stderr.trim()}` };
  },
};

/** The last field of `dmsetup status`: V (verified so far) or C (a corrupt block was read). */
async function dmStatus(sys: Sys, name: string): Promise<string | undefined> {
  const r = await sys.run('dmsetup', ['status', name], { allowFail: true });
  return r.code === 0 ? r.stdout.trim().split(/\s+/).pop() : undefined;
}

/** Mounts the verity device; a failure with the device in state C is corruption of this layer. */
async function checkedMount(sys: Sys, id: string, device: string, mountpoint: string): Promise<void> {
  const name = basename(device);
  const before = await dmStatus(sys, name);
  if (before !== 'V') throw new ToolFailedError(`${device}: dm-verity status is ${before}, not V`, { tool: 'dmsetup', device, status: before });
  try {
    await sys.mount({ fstype: 'squashfs', source: device, target: mountpoint, options: 'ro' });
  } catch (e) {
    if ((await dmStatus(sys, name)) === 'C') {
      throw new DataBlockCorruptError(
        `layer ${id}: dm-verity refused its data (a block does not match the signed root hash: the layer file is corrupt or was changed)`,
        { layer: id, device, check: 'dm-verity' },
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Attaches `file` read-only to a free loop device and returns it. `losetup -f` names a free
 * device and the attach names it explicitly, so busybox's losetup (initramfs) and util-linux's
 * behave the same. The kernel refuses to attach a device that is in use (EBUSY), so a device
 * taken in between fails the attach and is retried; one that attached is ours.
 */
async function attachLoop(sys: Sys, file: string): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dev = (await sys.run('losetup', ['-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(dev)) throw new ToolFailedError(`losetup -f printed ${JSON.stringify(dev)}, not a loop device`, { tool: 'losetup', stdout: dev });
    try {
      await sys.run('losetup', ['-r', dev, file]);
    } catch (e) {
      last = e;
      continue;
    }
    return dev;
  }
  throw last;
}
