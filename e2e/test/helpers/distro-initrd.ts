import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk, TOP, type Kernel } from '@mos/test-utils';

/**
 * Builds an initramfs the way a Debian machine does (`mkinitramfs` of initramfs-tools, with
 * mos's hook installed by `mosb initrd hooks`), without installing anything on this machine:
 * in a throwaway chroot whose /usr and /etc are overlays of this machine's with the unpacked
 * initramfs-tools packages (scripts/fetch-initramfs-tools) on top, and the kernel's modules and
 * config bound in. The chroot is unmounted and removed afterwards, also on failure; the
 * initramfs is written to `out`.
 *
 * MODULES=list: the initramfs holds only what the hooks add, so the boot proves mos's hook adds
 * every module the boot needs (MODULES=most, Debian's default, would hide a missing one).
 */
export async function mkinitramfsWithMos(opts: { kernel: Kernel; ca: string; out: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const pkgs = execFileSync(join(TOP, 'scripts', 'fetch-initramfs-tools'), { encoding: 'utf8' }).trim().split('\n').pop()!;
  const work = mkdtempSync(join(tmpdir(), 'mos-e2e-chroot-'));
  const root = join(work, 'root');
  const mounted: string[] = [];
  const mount = (args: string[], target: string) => {
    mkdirSync(target, { recursive: true });
    execFileSync('mount', [...args, target]);
    mounted.push(target);
  };
  try {
    for (const top of ['usr', 'etc']) {
      for (const d of ['upper', 'work']) mkdirSync(join(work, `${top}-${d}`));
      mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(pkgs, top)}:/${top},upperdir=${join(work, `${top}-upper`)},workdir=${join(work, `${top}-work`)}`], join(root, top));
    }
    for (const l of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, join(root, l));
    for (const d of ['tmp', 'var/tmp', 'root', 'run']) mkdirSync(join(root, d), { recursive: true, mode: 0o1777 });
    mount(['-t', 'proc', 'proc'], join(root, 'proc'));
    mount(['--bind', '/dev'], join(root, 'dev'));
    mount(['--bind', '-o', 'ro', join(opts.kernel.root, 'boot')], join(root, 'boot'));
    // The kernel's modules, with kmod's depmod run over them as a kernel package's postinst
    // would (the cache holds busybox depmod's text index only; modprobe wants the .bin ones):
    // an overlay keeps the shared cache unchanged.
    for (const d of ['modules-upper', 'modules-work']) mkdirSync(join(work, d));
    mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${opts.kernel.modulesDir},upperdir=${join(work, 'modules-upper')},workdir=${join(work, 'modules-work')}`], join(root, 'usr', 'lib', 'modules', opts.kernel.kver));
    writeFileSync(join(root, 'etc', 'initramfs-tools', 'conf.d', 'mos-e2e'), 'MODULES=list\nCOMPRESS=zstd\n');
    await runOk('mosb', ['initrd', 'hooks', '--builder', 'initramfs-tools', '--ca', opts.ca, '--root', root], { env: opts.env });
    const inChroot = (cmd: string[]) => execFileSync('chroot', [root, ...cmd], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    inChroot(['/usr/sbin/depmod', opts.kernel.kver]);
    inChroot(['/usr/sbin/mkinitramfs', '-o', '/tmp/initrd.img', opts.kernel.kver]);
    execFileSync('cp', [join(root, 'tmp', 'initrd.img'), opts.out]);
    return opts.out;
  } finally {
    for (const m of mounted.reverse()) execFileSync('umount', [m]);
    rmSync(work, { recursive: true, force: true });
  }
}
