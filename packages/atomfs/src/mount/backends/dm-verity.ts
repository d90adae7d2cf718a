import { LayerConflictError, ToolFailedError } from '../../errors';
import type { Backend } from './backend';

const STATUS = 'enforced by dm-verity on every read';

/** `/dev/mapper/<id>-verity`, as atomfs names it. */
export const dmName = (id: string) => `${id}-verity`;

/**
 * dm-verity: `veritysetup open` (cryptsetup attaches a read-only loop device for the file),
 * check `dmsetup status` says V, then mount the mapper device read-only. The kernel checks
 * every block it reads. An existing device of the same name is reused only if its table
 * carries the same root hash.
 */
export const dmVerityBackend: Backend = {
  name: 'dm-verity',
  unavailable(ctx) {
    if (!ctx.sys.isHostRoot()) return 'dm-verity needs root in the initial user namespace';
    if (!ctx.sys.exists('/dev/mapper/control')) return 'no device-mapper (/dev/mapper/control is missing)';
    return null;
  },
  async mount(ctx, req) {
    const { sys } = ctx;
    const name = dmName(req.layer.id);
    const device = `/dev/mapper/${name}`;
    const root = req.layer.rootHash!;
    let opened = false;
    if (sys.exists(device)) {
      const table = (await sys.run('dmsetup', ['table', name])).stdout.trim().split(/\s+/);
      // "0 <sectors> verity 1 <data> <hash> <dbs> <hbs> <n> <start> sha256 <root> <salt>"
      if (table[2] !== 'verity' || table[11] !== root) {
        throw new LayerConflictError(`${device} exists with another root hash`, { device, expected: root, actual: table[11] });
      }
    } else {
      await sys.run('veritysetup', ['open', req.layer.path, name, req.layer.path, root, `--hash-offset=${req.hashOffset}`]);
      opened = true;
    }
    try {
      const status = (await sys.run('dmsetup', ['status', name])).stdout.trim().split(/\s+/).pop();
      if (status !== 'V') throw new ToolFailedError(`${device}: dm-verity status is ${status}, not V`, { tool: 'dmsetup', device, status });
      await sys.mount({ fstype: 'squashfs', source: device, target: req.mountpoint, options: 'ro' });
    } catch (e) {
      if (opened) await sys.run('veritysetup', ['close', name], { allowFail: true });
      throw e;
    }
    return { device, protection: 'enforced', status: STATUS };
  },
  async release(ctx, rec) {
    await ctx.sys.umount(rec.mountpoint);
    await ctx.sys.run('veritysetup', ['close', dmName(rec.id)]);
  },
  async check(ctx, rec) {
    const base = { id: rec.id, backend: rec.backend, protection: rec.protection };
    const r = await ctx.sys.run('dmsetup', ['status', dmName(rec.id)], { allowFail: true });
    const status = r.stdout.trim().split(/\s+/).pop();
    if (r.code === 0 && status === 'V') return { ...base, ok: true, detail: `dm status V (${STATUS})` };
    return { ...base, ok: false, detail: r.code === 0 ? `CORRUPTION FOUND: dm status ${status}` : `dm device missing: ${r.stderr.trim()}` };
  },
};
