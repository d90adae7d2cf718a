import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianKernel, KernelMissingError, moduleLoadOrder, parseMarkers, qemuArgs, stripEscapes, tempDirs, TOP } from '@mos/test-utils';

// The kernel cache and the pure parts of the qemu harness; qemu.test.ts does the real boots.
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const FETCH = join(TOP, 'scripts', 'fetch-kernel');

test('debianKernel: the cached kernel, with modules.dep and the PVH vmlinux', async () => {
  const k = await debianKernel();
  expect(k.kver).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
  expect(k.vmlinuz).toBe(join(k.root, 'boot', `vmlinuz-${k.kver}`));
  expect(k.vmlinux).toBe(join(k.root, 'boot', `vmlinux-${k.kver}`));
  expect(k.modulesDir).toBe(join(k.root, 'lib', 'modules', k.kver));
  for (const f of [k.vmlinuz, k.vmlinux!, join(k.modulesDir, 'modules.dep')]) expect(existsSync(f)).toBe(true);
  // Only the current version is kept in the cache.
  expect(readdirSync(join(k.root, '..')).filter((n) => n.startsWith('linux-image-'))).toEqual([`${k.root.split('/').pop()}`, `${k.root.split('/').pop()}_amd64.deb`].sort());
});

test('scripts/fetch-kernel on a filled cache only prints the kernel dir, as its last line', async () => {
  const k = await debianKernel();
  const r = spawnSync(FETCH, [], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n').pop()).toBe(k.root);
  expect(r.stderr).toBe('');
});

/** A PATH whose apt-get fails like an offline machine, and whose apt-cache names a package. */
function offlinePath(): string {
  const bin = dirs.make('mos-fake-apt-');
  writeFileSync(join(bin, 'apt-cache'), '#!/bin/sh\necho linux-image-amd64\necho "  Depends: linux-image-6.1.0-99-amd64"\n');
  writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\necho "E: Failed to fetch http://deb.debian.org/… Temporary failure resolving \'deb.debian.org\'" >&2\nexit 100\n');
  for (const f of ['apt-cache', 'apt-get']) chmodSync(join(bin, f), 0o755);
  return `${bin}:${process.env.PATH}`;
}

test('scripts/fetch-kernel offline: exit 1 with a message saying so, nothing left in the cache', () => {
  const cache = join(dirs.make('mos-kcache-'), 'kernel');
  const r = spawnSync(FETCH, [cache], { encoding: 'utf8', env: { ...process.env, PATH: offlinePath() } });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/fetch-kernel: error: apt-get update failed: offline/);
  expect(r.stdout).toBe('');
  expect(readdirSync(cache)).toEqual(['.lock']);
});

test('debianKernel on an empty cache: KernelMissingError saying how to fetch, never a skip', async () => {
  const cache = dirs.make('mos-kcache-');
  await expect(debianKernel({ cacheDir: cache, fetch: false })).rejects.toMatchObject({ code: 'ERR_TEST_KERNEL_MISSING', cacheDir: cache, message: expect.stringMatching(/scripts\/fetch-kernel/) });
  const path = process.env.PATH;
  process.env.PATH = offlinePath();
  try {
    const e = await debianKernel({ cacheDir: cache }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KernelMissingError);
    expect((e as KernelMissingError).message).toMatch(/scripts\/fetch-kernel failed \(exit 1\).*offline/s);
  } finally {
    process.env.PATH = path;
  }
});

test('moduleLoadOrder: dependencies first, names with - or _', async () => {
  const k = await debianKernel();
  const order = moduleLoadOrder(k.modulesDir, ['virtio_blk', 'virtio-pci', 'pvpanic-mmio']);
  const names = order.map((f) => f.split('/').pop());
  expect(new Set(names)).toEqual(new Set(['virtio_ring.ko', 'virtio.ko', 'virtio_blk.ko', 'virtio_pci_legacy_dev.ko', 'virtio_pci_modern_dev.ko', 'virtio_pci.ko', 'pvpanic.ko', 'pvpanic-mmio.ko']));
  const at = (n: string) => names.indexOf(n);
  expect(at('virtio_ring.ko')).toBeLessThan(at('virtio.ko'));
  expect(at('virtio.ko')).toBeLessThan(at('virtio_blk.ko'));
  expect(at('virtio_pci_modern_dev.ko')).toBeLessThan(at('virtio_pci.ko'));
  expect(at('pvpanic.ko')).toBeLessThan(at('pvpanic-mmio.ko'));
  expect(() => moduleLoadOrder(k.modulesDir, ['no_such_module'])).toThrow(/no module no_such_module/);
});

test('qemuArgs: tcg by default, MOS_QEMU_ACCEL overrides, disks in order with snapshot on unless off', () => {
  const base = { kernel: 'vmlinux', initrd: 'initrd.img', append: 'console=ttyS0' };
  const a = qemuArgs({ ...base, disks: [{ file: '/x/a,b.img' }, { file: '/x/c.img', snapshot: false, readonly: true }] });
  expect(a.slice(0, 2)).toEqual(['-accel', 'tcg']);
  expect(a).toEqual(expect.arrayContaining(['-m', '1024', '-smp', '1', '-no-reboot', '-nic', 'none', '-serial', 'stdio', '-monitor', 'none']));
  expect(a.join(' ')).toContain('-device pvpanic -action panic=exit-failure -device isa-debug-exit,iobase=0xf4,iosize=0x04');
  const drives = a.flatMap((x, i) => (x === '-drive' ? [a[i + 1]] : []));
  expect(drives).toEqual(['file=/x/a,,b.img,if=virtio,format=raw,snapshot=on', 'file=/x/c.img,if=virtio,format=raw,snapshot=off,readonly=on']);
  // TCG stalls are no kernel errors on the console; other accelerators keep the line as given.
  expect(a[a.indexOf('-append') + 1]).toBe('console=ttyS0 rcupdate.rcu_cpu_stall_suppress=1 nowatchdog');
  const saved = process.env.MOS_QEMU_ACCEL;
  process.env.MOS_QEMU_ACCEL = 'kvm';
  try {
    expect(qemuArgs(base).slice(0, 2)).toEqual(['-accel', 'kvm']);
    expect(qemuArgs(base)[qemuArgs(base).indexOf('-append') + 1]).toBe('console=ttyS0');
    expect(() => qemuArgs({ ...base, accel: 'kvm -hda x' })).toThrow(TypeError);
  } finally {
    if (saved === undefined) delete process.env.MOS_QEMU_ACCEL;
    else process.env.MOS_QEMU_ACCEL = saved;
  }
});

test('stripEscapes and parseMarkers: markers anywhere in a line, escapes and CRs gone', () => {
  const raw = ['\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r', 'Booting from ROM..MARK:hello uptime=2.10\r', '[    3.3] x MARK:disk  abc def \r', 'MARK:done', 'no marker'];
  const lines = raw.map(stripEscapes);
  expect(lines[0]).toBe('SeaBIOS (version 1.16.2)');
  expect(parseMarkers(lines)).toEqual(
    new Map([
      ['hello', ['uptime=2.10']],
      ['disk', ['abc def']],
      ['done', ['']],
    ]),
  );
});
