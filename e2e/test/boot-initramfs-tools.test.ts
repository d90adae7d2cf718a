import { join } from 'node:path';
import { bootQemu, type BootResult } from '@mos/test-utils';
import { copyDisk, expectBootedOverVerity, flipLayerByte, installedDisk, makeBootWorld, marks, publishBootable, stopBootWorld, type BootWorld } from './helpers/boot';
import { mkinitramfsWithMos } from './helpers/distro-initrd';

// Issue 15 §1, distro builders: Debian's own mkinitramfs (initramfs-tools 0.142, run in a
// throwaway chroot) with mos's hook (`mosb initrd hooks --builder initramfs-tools`) makes an
// initramfs that boots the disk `mosctl install --partition` made: initramfs-tools's init runs
// our boot script (boot=mos), bringup verifies and assembles the root over kernel dm-verity, and
// initramfs-tools's run-init switches to it. A tampered layer is refused the same way.
let b: BootWorld;
let disk: string;
let initrd: string;

beforeAll(async () => {
  b = await makeBootWorld();
  disk = await installedDisk(b, await publishBootable(b, 'machine/boot-irt:1.0'));
  initrd = await mkinitramfsWithMos({ kernel: b.kernel, ca: b.w.caPath, out: join(b.w.dirs.make('mos-e2e-irt-'), 'initrd.img'), env: b.w.env });
});
afterAll(() => stopBootWorld(b));

const boot = (image: string): Promise<BootResult> =>
  bootQemu({
    kernel: b.kernel.vmlinuz,
    initrd,
    append: 'console=ttyS0 quiet panic=-1 boot=mos root=soci:name=mosboot rd.mos.timeout=30',
    disks: [{ file: image, snapshot: true }],
    until: /MARK:hostfs-done/,
    logFile: `${image}.irt-console.log`,
  });

test("Debian's mkinitramfs with mos's hook boots the installed disk over dm-verity", async () => {
  const r = await boot(disk);
  expect(r.timedOut).toBe(false);
  expect(marks(r, 'hostfs-init')).toHaveLength(1);
  expectBootedOverVerity(b, r);
  expect(r.log).toMatch(/mos-bringup: verified state [0-9a-f]{12} of product/);
  expect(r.log).toMatch(/mos-bringup: \/root is ready; initramfs-tools's init hands over to \/sbin\/init/);
});

test('the same initramfs refuses a tampered hostfs layer and does not boot it', async () => {
  const image = copyDisk(b, disk);
  const top = b.layers[b.layers.length - 1];
  await flipLayerByte(b, image, top, 200);
  const r = await boot(image);
  expect(marks(r, 'hostfs-init')).toEqual([]);
  expect(r.log).toMatch(new RegExp(`FATAL: \\[ERR_BRINGUP_IMAGE_VERIFY_FAILED\\] .*layer ${top}: dm-verity refused its data`));
  expect(r.log).toMatch(/mos: the system did not verify: NOT booting it/);
  // panic= on the command line: initramfs-tools reboots (qemu -no-reboot exits) instead of a shell.
  expect(r.log).toMatch(/Rebooting automatically due to panic= boot argument/);
  expect(r.timedOut).toBe(false);
});
