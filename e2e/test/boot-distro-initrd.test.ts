import { join } from 'node:path';
import { bootQemu, type BootResult } from '@mos/test-utils';
import { copyDisk, expectBootedOverVerity, flipLayerByte, installedDisk, makeBootWorld, marks, publishBootable, stopBootWorld, type BootWorld } from './helpers/boot';
import { distroInitrd, type DistroBuilder } from './helpers/distro-initrd';

// Issue 15 §1, distro builders: Debian's own initramfs builders (initramfs-tools 0.142 and
// dracut 059, each run in a throwaway chroot) with mos's hook (`mosb initrd hooks --builder B`)
// make an initramfs that boots the disk `mosctl install --partition` made: the distro's init
// runs our boot script or mount hook, bringup verifies and assembles the root over kernel
// dm-verity, and the distro's init switches to it. A tampered layer is refused, and the boot
// stops (panic= reboots, which qemu -no-reboot turns into an exit).
let b: BootWorld;
let disk: string;

beforeAll(async () => {
  b = await makeBootWorld();
  disk = await installedDisk(b, await publishBootable(b, 'machine/boot-distro:1.0'));
});
afterAll(() => stopBootWorld(b));

// What each needs on the command line, and how its refusal ends. Without panic= (initramfs-tools)
// or with rd.shell (dracut's default) each opens a console shell instead: the unverified system
// is not booted either way, but the test wants qemu to end.
const CASES: [DistroBuilder, string, RegExp][] = [
  ['initramfs-tools', 'boot=mos', /Rebooting automatically due to panic= boot argument/],
  ['dracut', 'rd.shell=0', /dracut: FATAL: mos: the system did not verify[\s\S]*Boot has failed/],
];

describe.each(CASES)('%s with mos', (builder, append, stopped) => {
  let initrd: string;
  beforeAll(async () => {
    initrd = await distroInitrd({ builder, kernel: b.kernel, ca: b.w.caPath, out: join(b.w.dirs.make(`mos-e2e-${builder}-`), 'initrd.img'), env: b.w.env });
  });

  const boot = (image: string): Promise<BootResult> =>
    bootQemu({
      kernel: b.kernel.vmlinuz,
      initrd,
      append: `console=ttyS0 quiet panic=-1 ${append} root=soci:name=mosboot rd.mos.timeout=30`.replace(/ +/g, ' '),
      disks: [{ file: image, snapshot: true }],
      until: /MARK:hostfs-done/,
      logFile: `${image}.${builder}-console.log`,
    });

  test('boots the installed disk over dm-verity', async () => {
    const r = await boot(disk);
    expect(r.timedOut).toBe(false);
    expect(marks(r, 'hostfs-init')).toHaveLength(1);
    expectBootedOverVerity(b, r);
    expect(r.log).toMatch(/mos-bringup: verified state [0-9a-f]{12} of product/);
    expect(r.log).toMatch(/mos-bringup: \/(root|sysroot) is ready; the distro's init hands over to \/sbin\/init/);
  });

  test('refuses a tampered hostfs layer and does not boot it', async () => {
    const image = copyDisk(b, disk);
    const top = b.layers[b.layers.length - 1];
    await flipLayerByte(b, image, top, 200);
    const r = await boot(image);
    expect(marks(r, 'hostfs-init')).toEqual([]);
    expect(r.log).toMatch(new RegExp(`FATAL: \\[ERR_BRINGUP_IMAGE_VERIFY_FAILED\\] .*layer ${top}: dm-verity refused its data`));
    expect(r.log).toMatch(/mos: the system did not verify: NOT booting it/);
    expect(r.log).toMatch(stopped);
    expect(r.timedOut).toBe(false);
  });
});
