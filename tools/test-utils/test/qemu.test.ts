import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootQemu, debianKernel, liveQemuGroups, miniInitramfs, tempDirs, type BootOptions, type BootResult, type Kernel } from '@mos/test-utils';

// Real boots of Debian's kernel under qemu (TCG), six in all: PVH vmlinux and bzImage once each
// with two disks, then panic, isa-debug-exit, a hang past the timeout and an early `until` stop.
// One initramfs serves all: `mos.test=<mode>` on the command line picks what /init does.
const SCRIPT = `
MODE=$(sed -n 's/.*mos\\.test=\\([a-z]*\\).*/\\1/p' /proc/cmdline)
echo "MARK:hello mode=$MODE uptime=$(cut -d' ' -f1 /proc/uptime)"
case "$MODE" in
  panic) echo MARK:exiting; exit 3 ;;
  debugexit) printf '\\005' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null; echo MARK:still-running; sleep 1000 ;;
  hang) echo MARK:hanging; while :; do sleep 1000; done ;;
  until) echo MARK:ready; while :; do sleep 1000; done ;;
esac
# Disks appear asynchronously after insmod virtio_blk.
i=0; while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "MARK:pvpanic $(ls /sys/bus/platform/drivers/pvpanic-mmio | grep QEMU0001)"
echo "MARK:vda $(head -c 32 /dev/vda)"
echo "MARK:vdb $(head -c 32 /dev/vdb) ro=$(cat /sys/block/vdb/ro)"
printf OVERWRITTEN | dd of=/dev/vda conv=notrunc 2>/dev/null; sync
echo "MARK:vda-written $(head -c 11 /dev/vda)"
echo MARK:done
poweroff -f
`;

const dirs = tempDirs();
let k: Kernel;
let initrd: string;
let diskA: string;
let diskB: string;
const contentA = `MOS-DISK-A-${Date.now().toString(16).padStart(21, '0')}`;
const contentB = `MOS-DISK-B-${process.pid.toString(16).padStart(21, '0')}`;
const pgids: number[] = [];

beforeAll(async () => {
  k = await debianKernel();
  const dir = dirs.make('mos-qemu-test-');
  initrd = miniInitramfs({
    out: join(dir, 'initrd.img'),
    kernel: k,
    modules: ['virtio_pci', 'virtio_blk', 'pvpanic_mmio'],
    script: SCRIPT,
  }).out;
  diskA = join(dir, 'a.raw');
  diskB = join(dir, 'b.raw');
  writeFileSync(diskA, Buffer.concat([Buffer.from(contentA), Buffer.alloc(1024 * 1024 - 32)]));
  writeFileSync(diskB, Buffer.concat([Buffer.from(contentB), Buffer.alloc(1024 * 1024 - 32)]));
});

afterAll(() => {
  dirs.cleanup();
  expect(liveQemuGroups()).toEqual([]);
  for (const g of pgids) expect(pgrepGroup(g)).toEqual([]);
});

/** Pids still in process group `g` (pgrep exits 1 when there are none). */
function pgrepGroup(g: number): string[] {
  try {
    return execFileSync('pgrep', ['-g', String(g)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The qemu processes this test process started (qemu runs under a `timeout` backstop). */
function ourQemus(): number[] {
  const kids = (parent: number, name: string) => {
    try {
      return execFileSync('pgrep', ['-P', String(parent), '-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return kids(process.pid, 'timeout').flatMap((t) => kids(t, 'qemu-system-x86'));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function boot(mode: string, opts: Partial<BootOptions> = {}): Promise<BootResult & { helloMs?: number }> {
  let helloMs: number | undefined;
  const onLine = opts.onLine;
  const r = await bootQemu({
    kernel: k.vmlinux ?? k.vmlinuz,
    initrd,
    append: `console=ttyS0 quiet panic=-1 mos.test=${mode}`,
    ...opts,
    onLine: (line, ms) => {
      if (helloMs === undefined && line.includes('MARK:hello')) helloMs = Math.round(ms);
      onLine?.(line, ms);
    },
  });
  pgids.push(r.pgid);
  return { ...r, helloMs };
}

const disks = () => [{ file: diskA }, { file: diskB, readonly: true }];

function expectDisksRead(r: BootResult): void {
  expect(r.markers.get('hello')).toEqual([expect.stringMatching(/^mode=normal uptime=/)]);
  expect(r.markers.get('vda')).toEqual([contentA]);
  expect(r.markers.get('vdb')).toEqual([`${contentB} ro=1`]);
  // The guest wrote to vda and saw it; with snapshot on, the file is unchanged.
  expect(r.markers.get('vda-written')).toEqual(['OVERWRITTEN']);
  expect(readFileSync(diskA).subarray(0, 32).toString()).toBe(contentA);
  expect(r.markers.get('done')).toEqual(['']);
  expect(r).toMatchObject({ exitCode: 0, signal: null, timedOut: false, stoppedByUntil: false, panicked: false });
}

test('PVH vmlinux: boots to the marker, reads both virtio disks in order, exits 0 after poweroff -f', async () => {
  expect(k.vmlinux).toBeDefined();
  const r = await boot('normal', { kernel: k.vmlinux!, disks: disks() });
  console.log(`PVH vmlinux: MARK:hello at ${r.helloMs} ms, qemu exit ${r.exitCode} at ${r.durationMs} ms`);
  expectDisksRead(r);
  // The ISA pvpanic device is bound by pvpanic-mmio (ACPI QEMU0001), not pvpanic-pci.
  expect(r.markers.get('pvpanic')).toEqual(['QEMU0001:00']);
  expect(r.lines.some((l) => l.includes('\x1b') || l.includes('\r'))).toBe(false);
});

test('bzImage vmlinuz: the same boot', async () => {
  const r = await boot('normal', { kernel: k.vmlinuz, disks: disks() });
  console.log(`bzImage vmlinuz: MARK:hello at ${r.helloMs} ms, qemu exit ${r.exitCode} at ${r.durationMs} ms`);
  expectDisksRead(r);
});

test('an /init that exits panics the kernel, and pvpanic makes qemu exit 1; logFile has the whole console', async () => {
  const logFile = join(dirs.make('mos-qemu-log-'), 'console.log');
  const r = await boot('panic', { logFile });
  expect(r.markers.get('exiting')).toEqual(['']);
  expect(r.log).toMatch(/Kernel panic - not syncing: Attempted to kill init!/);
  expect(r).toMatchObject({ exitCode: 1, signal: null, timedOut: false, panicked: true });
  const saved = readFileSync(logFile, 'utf8');
  expect(saved).toContain(r.log);
  expect(saved).toMatch(/^\[bootQemu\] qemu-system-x86_64 -accel tcg .* -append 'console=ttyS0 quiet panic=-1 mos.test=panic rcupdate\.rcu_cpu_stall_suppress=1 nowatchdog'\n/);
  expect(saved).toMatch(/\[bootQemu\] qemu ended: exit 1 signal null timedOut false stoppedByUntil false after \d+ ms\n/);
});

test('isa-debug-exit: writing 5 to port 0xf4 exits qemu with (5<<1)|1 = 11', async () => {
  const r = await boot('debugexit');
  expect(r.markers.get('hello')).toHaveLength(1);
  expect(r.markers.has('still-running')).toBe(false);
  expect(r).toMatchObject({ exitCode: 11, signal: null, timedOut: false, panicked: false });
});

test('timeoutMs kills a guest that hangs, and no qemu is left behind', async () => {
  const seen: number[] = [];
  const r = await boot('hang', {
    timeoutMs: 10_000,
    onLine: (line) => {
      if (line.includes('MARK:hello')) seen.push(...ourQemus());
    },
  });
  expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true, stoppedByUntil: false });
  expect(r.markers.has('done')).toBe(false);
  expect(pgrepGroup(r.pgid)).toEqual([]);
  // The qemu seen running at MARK:hello is gone (a very slow runner may time out before it).
  if (r.markers.has('hello')) expect(seen.length).toBeGreaterThan(0);
  for (const pid of seen) expect(alive(pid)).toBe(false);
});

test('until stops qemu at the first matching line (killed, not an error)', async () => {
  const seen: number[] = [];
  const r = await boot('until', {
    until: /MARK:ready/,
    onLine: (line) => {
      if (line.includes('MARK:hello')) seen.push(...ourQemus());
    },
  });
  expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false, stoppedByUntil: true });
  expect(r.markers.get('ready')).toEqual(['']);
  expect(pgrepGroup(r.pgid)).toEqual([]);
  expect(seen.length).toBeGreaterThan(0);
  for (const pid of seen) expect(alive(pid)).toBe(false);
});
