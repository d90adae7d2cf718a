import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk, TOP, type Kernel } from '@mos/test-utils';

export type DistroBuilder = 'initramfs-tools' | 'dracut';

/**
 * Builds an initramfs the way a Debian machine does, with mos's hook installed by `mosb initrd
 * hooks`: `mkinitramfs` (initramfs-tools) or `dracut --add mos`. Nothing is installed on this
 * machine: the builder runs in a throwaway chroot whose /usr and /etc are overlays of this
 * machine's with the unpacked builder packages (scripts/fetch-initrd-builder) on top, and the
 * kernel's modules and config bound in. The chroot is unmounted and removed afterwards, also on
 * failure; the initramfs is written to `out`.
 *
 * Only what the hooks add goes in (initramfs-tools MODULES=list; dracut's base plus mos), so the
 * boot proves mos's hook adds every module the boot needs.
 */
export async function distroInitrd(opts: { builder: DistroBuilder; kernel: Kernel; ca: string; out: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const pkgs = execFileSync(join(TOP, 'scripts', 'fetch-initrd-builder'), [opts.builder], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const work = mkdtempSync(join(tmpdir(), 'mos-e2e-chroot-'));
  const root = join(work, 'root');
  const mounted: string[] = [];
  const mount = (args: string[], target: string) => {
    mkdirSync(target, { recursive: true });
    execFileSync('mount', [...args, target]);
    mounted.push(target);
  };
  const overlay = (lower: string, name: string, target: string) => {
    for (const d of ['upper', 'work']) mkdirSync(join(work, `${name}-${d}`));
    mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(work, `${name}-upper`)},workdir=${join(work, `${name}-work`)}`], target);
  };
  try {
    for (const top of ['usr', 'etc']) overlay(`${join(pkgs, top)}:/${top}`, top, join(root, top));
    for (const l of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, join(root, l));
    for (const d of ['tmp', 'var/tmp', 'root', 'run']) mkdirSync(join(root, d), { recursive: true, mode: 0o1777 });
    mount(['-t', 'proc', 'proc'], join(root, 'proc'));
    mount(['--bind', '/dev'], join(root, 'dev'));
    mount(['--bind', '-o', 'ro', join(opts.kernel.root, 'boot')], join(root, 'boot'));
    // The kernel's modules, with kmod's depmod run over them as a kernel package's postinst
    // would (the cache holds busybox depmod's text index only; modprobe wants the .bin ones):
    // an overlay keeps the shared cache unchanged.
    overlay(opts.kernel.modulesDir, 'modules', join(root, 'usr', 'lib', 'modules', opts.kernel.kver));
    await runOk('mosb', ['initrd', 'hooks', '--builder', opts.builder, '--ca', opts.ca, '--root', root], { env: opts.env });
    const inChroot = (cmd: string[]) => execFileSync('chroot', [root, ...cmd], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    inChroot(['/usr/sbin/depmod', opts.kernel.kver]);
    if (opts.builder === 'initramfs-tools') {
      writeFileSync(join(root, 'etc', 'initramfs-tools', 'conf.d', 'mos-e2e'), 'MODULES=list\nCOMPRESS=zstd\n');
      inChroot(['/usr/sbin/mkinitramfs', '-o', '/tmp/initrd.img', opts.kernel.kver]);
    } else {
      inChroot(['/usr/bin/dracut', '--no-hostonly', '--modules', 'base mos', '--zstd', '--kver', opts.kernel.kver, '--force', '/tmp/initrd.img']);
    }
    execFileSync('cp', [join(root, 'tmp', 'initrd.img'), opts.out]);
    return opts.out;
  } finally {
    for (const m of mounted.reverse()) execFileSync('umount', [m]);
    rmSync(work, { recursive: true, force: true });
  }
}
