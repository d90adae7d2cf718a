import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lxcCommandLine } from '../lxc/command-line';
import { mountAt } from '../lib/mounts';
import type { Sys } from '../sys';

/** How a container's root is made to look owned by its nsgroup's range. */
export type ShiftMode = 'idmap' | 'chown';

/**
 * Decides between an lxc idmapped rootfs mount and shifting ownership for a root mounted at
 * `rootfs`. `auto` asks the kernel, once per filesystem type, by starting a throwaway container
 * with `lxc.rootfs.options = idmap=container` on a mount of that type: lxc fails at
 * "create detached idmapped mount" when the kernel does not support idmapping it (overlayfs on
 * 6.x kernels does not; ext4, xfs, btrfs do).
 */
export class ShiftChooser {
  private readonly cache = new Map<string, boolean>();
  constructor(private readonly sys: Sys, private readonly probeDir: string, private readonly mode: 'auto' | ShiftMode) {}

  async choose(rootfs: string, hostid: number, size: number): Promise<ShiftMode> {
    if (this.mode !== 'auto') return this.mode;
    const fstype = (await mountAt(this.sys, rootfs))?.fstype ?? 'dir';
    if (!this.cache.has(fstype)) this.cache.set(fstype, await this.probe(fstype, hostid, size));
    return this.cache.get(fstype) ? 'idmap' : 'chown';
  }

  private async probe(fstype: string, hostid: number, size: number): Promise<boolean> {
    const dir = join(this.probeDir, `idmap-probe-${randomBytes(4).toString('hex')}`);
    const root = join(dir, 'root');
    await mkdir(join(dir, 'lxc', 'probe'), { recursive: true });
    await mkdir(join(dir, 'lower'));
    await mkdir(join(dir, 'upper'));
    await mkdir(join(dir, 'work'));
    await mkdir(root);
    let mounted = false;
    try {
      if (fstype === 'overlay') {
        await this.sys.run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(dir, 'lower')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, root]);
        mounted = true;
      }
      const config = [
        `lxc.idmap = u 0 ${hostid} ${size}`,
        `lxc.idmap = g 0 ${hostid} ${size}`,
        `lxc.rootfs.path = dir:${root}`,
        'lxc.rootfs.options = idmap=container',
        'lxc.net.0.type = empty',
        `lxc.execute.cmd = ${lxcCommandLine(['/mos-idmap-probe'])}`,
        'lxc.console.path = none',
        'lxc.apparmor.profile = unchanged',
        `lxc.log.file = ${join(dir, 'probe.log')}`,
      ].join('\n');
      await writeFile(join(dir, 'lxc', 'probe', 'config'), config + '\n');
      // The command does not exist: with idmapping supported, lxc gets past the rootfs and
      // fails at exec; without, it fails while preparing the rootfs.
      const r = await this.sys.run('lxc-execute', ['-P', join(dir, 'lxc'), '-n', 'probe'], { allowFail: true });
      return !/idmapped mount/i.test(r.stderr);
    } finally {
      if (mounted) await this.sys.run('umount', [root], { allowFail: true });
      await rm(dir, { recursive: true, force: true });
    }
  }
}
