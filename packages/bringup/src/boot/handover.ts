import { join } from 'node:path';
import { BringupError } from '../errors';
import type { BootSys } from './boot-sys';
import type { Handover } from './boot-installed';

/** The file `/init` reads after bringup exits 0: one line `NEWROOT INIT`. */
export const SWITCH_ROOT_FILE = '/etc/mos/switch-root';

/** The kernel's file systems, moved last so bringup can use them until the end. */
const API_FS = ['/dev', '/proc', '/sys', '/run'];

/**
 * Who switches root after bringup: our own `/init` (`switch-root`: bringup moves the kernel's
 * file systems and writes `SWITCH_ROOT_FILE`), or a distro initramfs whose init does that part
 * itself (`distro`: initramfs-tools's init moves /run, /sys and /proc and runs run-init, our
 * init-bottom script moving /dev when udev did not; dracut's init runs switch_root, which moves
 * all four).
 */
export type HandoverStyle = 'switch-root' | 'distro';

/**
 * Hands the verified root over to `/init`:
 * - the new root's init must exist (checked without following a symlink, which only resolves
 *   inside the new root);
 * - a private tmpfs at `NEWROOT/factory` gets `secure/manifestCA.pem` from the initrd, so the
 *   running system trusts the CA the boot trusted, never a copy on writable disk;
 * - config, store, scratch (and the ESP) move under the new root, their subtrees (the layer
 *   mounts) with them;
 * - style `switch-root` (default): `SWITCH_ROOT_FILE` is written, then /dev, /proc, /sys and
 *   /run move last, and `/init` runs `exec switch_root NEWROOT INIT`; style `distro`: only the
 *   mount points for them are made, and the distro's init finishes the job.
 */
export async function handOver(
  sys: BootSys,
  h: Handover,
  opts: { ca: string; log: (s: string) => void; switchRootFile?: string; style?: HandoverStyle },
): Promise<void> {
  const init = join(h.newRoot, h.init);
  if (!sys.exists(init)) {
    throw new BringupError('ERR_BRINGUP_NO_INIT', `hostfs has no ${h.init}; the image cannot be booted (add an init to the hostfs image)`, { details: { init: h.init } });
  }
  const factory = join(h.newRoot, 'factory');
  await sys.mkdirp(factory, 0o755);
  await sys.mount({ fstype: 'tmpfs', source: 'mos-factory', target: factory, options: 'mode=0755,nodev,nosuid,noexec,size=1m' });
  await sys.mkdirp(join(factory, 'secure'), 0o700);
  await sys.copyFile(opts.ca, join(factory, 'secure', 'manifestCA.pem'), 0o644);
  for (const [from, to] of h.moves) {
    await sys.mkdirp(to, 0o755);
    await sys.moveMount(from, to);
  }
  if (opts.style === 'distro') {
    for (const fs of API_FS) await sys.mkdirp(join(h.newRoot, fs), 0o755);
    opts.log(`${h.newRoot} is ready; the distro's init hands over to ${h.init}`);
    return;
  }
  await sys.writeFile(opts.switchRootFile ?? SWITCH_ROOT_FILE, `${h.newRoot} ${h.init}\n`, 0o644);
  for (const fs of API_FS) {
    const to = join(h.newRoot, fs);
    await sys.mkdirp(to, 0o755);
    await sys.moveMount(fs, to);
  }
  opts.log(`handing over to ${h.init} in ${h.newRoot}`);
}
