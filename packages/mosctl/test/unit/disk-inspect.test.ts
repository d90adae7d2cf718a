// Unit tests of the disk checks and the partition step against a fake machine (internals: test/unit).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeContents, inspectDisk } from '../../src/disk/inspect';
import { formatPartitions, writePartitions } from '../../src/disk/partition';
import { MiB, planPartitions, sfdiskScript } from '../../src/disk/plan';
import { installPartition } from '../../src/ops/install-partition';
import { exitCodeOf } from '../../src/cli/exit-codes';
import { fakeSys, type FakeSysSpec } from './fake-disk-sys';

const LOOP3 = 7 * 256 + 3; // rdev of 7:3
const base = (extra: Record<string, string> = {}): FakeSysSpec & { files: Record<string, string>; rdev: Record<string, number> } => ({
  rdev: { '/dev/loop3': LOOP3, '/dev/loop3p2': 259 * 256 + 1 },
  sysDev: { '7:3': '/sys/devices/virtual/block/loop3', '259:1': '/sys/devices/virtual/block/loop3/loop3p2' },
  files: {
    '/sys/devices/virtual/block/loop3/size': String((512 * MiB) / 512),
    '/sys/devices/virtual/block/loop3/loop3p2/partition': '2',
    '/sys/class/block/loop3/queue/logical_block_size': '512',
    '/proc/self/mountinfo': '22 1 0:21 / / rw - ext4 /dev/vda rw\n',
    '/proc/swaps': 'Filename Type Size Used Priority\n',
    ...extra,
  },
  regular: ['/tmp/disk.img'],
});
const partFiles = (n: number, start: number, size: number, name?: string) => ({
  [`/sys/class/block/loop3/loop3p${n}/partition`]: String(n),
  [`/sys/class/block/loop3/loop3p${n}/start`]: String(start / 512),
  [`/sys/class/block/loop3/loop3p${n}/size`]: String(size / 512),
  [`/sys/class/block/loop3/loop3p${n}/dev`]: `259:${n - 1}`,
  [`/sys/class/block/loop3/loop3p${n}/uevent`]: `DEVNAME=loop3p${n}\nPARTN=${n}${name ? `\nPARTNAME=${name}` : ''}`,
});

async function codeOf(p: Promise<unknown>): Promise<{ code: string; exit: number; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; message: string; details: Record<string, unknown> };
    return { code: err.code, exit: exitCodeOf(e), message: err.message, details: err.details };
  }
  throw new Error('expected a rejection');
}

describe('inspectDisk', () => {
  test('a regular file, a missing path and a partition are not disks (usage exit 2, never 3)', async () => {
    const sys = fakeSys(base());
    const file = await codeOf(inspectDisk('/tmp/disk.img', sys));
    expect(file).toMatchObject({ code: 'ERR_MOSCTL_NOT_A_DISK', exit: 2 });
    expect(file.message).toMatch(/not a block device.*losetup/);
    expect(await codeOf(inspectDisk('/dev/nope', sys))).toMatchObject({ code: 'ERR_MOSCTL_NOT_A_DISK', message: '/dev/nope does not exist' });
    expect((await codeOf(inspectDisk('/dev/loop3p2', sys))).message).toBe('/dev/loop3p2 is partition 2 of /dev/loop3; pass the whole disk');
  });

  test('an empty disk: size, sector size, no contents, no users', async () => {
    const sys = fakeSys({ ...base(), tools: () => ({ code: 0, stdout: '{"signatures": []}', stderr: '' }) });
    const d = await inspectDisk('/dev/loop3', sys);
    expect(d).toMatchObject({ device: '/dev/loop3', name: 'loop3', majMin: '7:3', bytes: 512 * MiB, sectorSize: 512, partitions: [], users: [], signatures: [] });
    expect(describeContents(d)).toBeUndefined();
    expect(sys.calls.map((c) => c.tool)).toEqual(['wipefs']); // read-only: wipefs --json lists, it does not erase
    expect(sys.calls[0].args).toEqual(['--json', '/dev/loop3']);
  });

  test('contents: a filesystem signature on the bare disk, or partitions; users: mounts, swap, holders', async () => {
    const ext4 = fakeSys({ ...base(), tools: () => ({ code: 0, stdout: '{"signatures":[{"type":"ext4","offset":"0x438"}]}', stderr: '' }) });
    expect(describeContents(await inspectDisk('/dev/loop3', ext4))).toBe('signature(s) ext4');
    const used = fakeSys(
      base({
        ...partFiles(1, 4 * MiB, 64 * MiB, 'esp'),
        ...partFiles(2, 68 * MiB, 16 * MiB, 'machine-config'),
        '/proc/self/mountinfo': '22 1 0:21 / / rw - ext4 /dev/vda rw\n40 22 259:1 / /mnt/with\\040space rw - ext4 /dev/loop3p2 rw\n',
        '/proc/swaps': 'Filename Type Size Used Priority\n/dev/loop3p1 partition 100 0 -2\n',
        '/sys/class/block/loop3/holders/dm-0': '',
      }),
    );
    const d = await inspectDisk('/dev/loop3', used);
    expect(d.users).toEqual(['/dev/loop3p2 is mounted on /mnt/with space', '/dev/loop3p1 is in use as swap', '/dev/loop3 is held by /dev/dm-0']);
    expect(describeContents(d)).toBe('2 partition(s)');
  });
});

describe('writePartitions', () => {
  test('wipes, writes the script with sfdisk, tells the kernel with partx, waits for the devices by name', async () => {
    const plan = planPartitions(512 * MiB, 512);
    const spec = base({ ...partFiles(1, 1 * MiB, 8 * MiB, 'old') });
    const sys = fakeSys({
      ...spec,
      tools: (tool) => {
        if (tool === 'partx') {
          for (const k of Object.keys(spec.files)) if (k.includes('/loop3p1/')) delete spec.files[k];
          plan.partitions.forEach((p, i) => Object.assign(spec.files, partFiles(i + 1, p.start, p.size, p.name)));
          plan.partitions.forEach((_, i) => (spec.rdev[`/dev/loop3p${i + 1}`] = 259 * 256 + i));
        }
        return undefined;
      },
    });
    const disk = await inspectDisk('/dev/loop3', sys);
    sys.calls.length = 0;
    const parts = await writePartitions({ disk, plan, sys });
    expect(Object.values(parts).map((p) => [p.name, p.device])).toEqual([
      ['esp', '/dev/loop3p1'],
      ['machine-config', '/dev/loop3p2'],
      ['machine-store', '/dev/loop3p3'],
      ['machine-scratch', '/dev/loop3p4'],
    ]);
    expect(sys.calls.map((c) => [c.tool, ...c.args].join(' '))).toEqual([
      'wipefs --all --quiet /dev/loop3p1',
      'wipefs --all --quiet /dev/loop3',
      'sfdisk --quiet --wipe always --wipe-partitions always --no-reread --no-tell-kernel /dev/loop3',
      'partx -u /dev/loop3',
    ]);
    expect(sys.calls[2].input).toBe(sfdiskScript(plan));
    sys.calls.length = 0;
    await formatPartitions(parts, sys);
    expect(sys.calls.map((c) => [c.tool, ...c.args].join(' '))).toEqual([
      'mkfs.vfat -F 32 -n ESP /dev/loop3p1',
      'mkfs.ext4 -q -F -L machine-config /dev/loop3p2',
      'mkfs.ext4 -q -F -L machine-store /dev/loop3p3',
      'mkfs.ext4 -q -F -L machine-scratch /dev/loop3p4',
    ]);
  });

  test('devices that never appear: ERR_MOSCTL_DISK_FAILED after the bounded wait (and one partx -a)', async () => {
    const sys = fakeSys(base());
    const disk = await inspectDisk('/dev/loop3', sys);
    const r = await codeOf(writePartitions({ disk, plan: planPartitions(512 * MiB, 512), sys, timeoutMs: 0 }));
    expect(r).toMatchObject({ code: 'ERR_MOSCTL_DISK_FAILED', exit: 1 });
    expect(sys.calls.filter((c) => c.tool === 'partx').map((c) => c.args[0])).toEqual(['-u', '-a']);
  });
});

describe('installPartition refusals before anything is written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mosctl-ip-'));
    writeFileSync(join(dir, 'ca.pem'), 'not used: refused first\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const writes = (calls: { tool: string; args: string[] }[]) => calls.filter((c) => !(c.tool === 'wipefs' && c.args[0] === '--json'));

  test('not empty without --wipe: names the disk and what is on it, says --wipe; exit 5', async () => {
    const sys = fakeSys({ ...base(), tools: () => ({ code: 0, stdout: '{"signatures":[{"type":"ext4"}]}', stderr: '' }) });
    const r = await codeOf(installPartition({ disk: '/dev/loop3', url: '127.0.0.1:9/x/y:1', manifestCa: join(dir, 'ca.pem'), sys }));
    expect(r).toMatchObject({ code: 'ERR_MOSCTL_DISK_NOT_EMPTY', exit: 5 });
    expect(r.message).toBe('/dev/loop3 is not empty: it has signature(s) ext4; pass --wipe to erase it');
    expect(writes(sys.calls)).toEqual([]);
  });

  test('in use: refused even with --wipe; exit 6', async () => {
    const sys = fakeSys(base({ ...partFiles(2, 68 * MiB, 16 * MiB), '/proc/self/mountinfo': '40 22 259:1 / /mnt rw - ext4 /dev/loop3p2 rw\n' }));
    const r = await codeOf(installPartition({ disk: '/dev/loop3', url: '127.0.0.1:9/x/y:1', wipe: true, manifestCa: join(dir, 'ca.pem'), sys }));
    expect(r).toMatchObject({ code: 'ERR_MOSCTL_DISK_IN_USE', exit: 6 });
    expect(r.message).toMatch(/^\/dev\/loop3 is in use \(\/dev\/loop3p2 is mounted on \/mnt\); unmount it first/);
    expect(writes(sys.calls)).toEqual([]);
  });

  test('too small: names the minimum; exit 2', async () => {
    const sys = fakeSys(base({ '/sys/devices/virtual/block/loop3/size': String((200 * MiB) / 512) }));
    const r = await codeOf(installPartition({ disk: '/dev/loop3', url: '127.0.0.1:9/x/y:1', manifestCa: join(dir, 'ca.pem'), sys }));
    expect(r).toMatchObject({ code: 'ERR_MOSCTL_DISK_TOO_SMALL', exit: 2, details: { size: 200 * MiB, minimum: 256 * MiB } });
    expect(writes(sys.calls)).toEqual([]);
  });

  test('a CA that does not exist: refused before the network and the disk', async () => {
    const sys = fakeSys(base());
    const r = await codeOf(installPartition({ disk: '/dev/loop3', url: '127.0.0.1:9/x/y:1', manifestCa: join(dir, 'nope.pem'), sys }));
    expect(r.code).toBe('ERR_TRUST_NO_CA');
    expect(writes(sys.calls)).toEqual([]);
  });
});
