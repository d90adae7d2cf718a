// Unit tests of the GPT reader and the sysfs lookup (internals: test/unit). sfdisk, which needs
// no root on an image file, writes the tables; sfdisk --json is the oracle.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGpt } from '../../src/disk/gpt';
import { diskPartitions, partitionsByName } from '../../src/disk/find';
import { MiB, planPartitions, sfdiskScript } from '../../src/disk/plan';
import { fakeSys } from './fake-disk-sys';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mosctl-gpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string, bytes: number, script: string): Buffer {
  const file = join(dir, name);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  execFileSync('sfdisk', ['--quiet', file], { input: script });
  // The primary GPT (header and entries) lives in the first MiB: that is all readGpt reads.
  const buf = Buffer.alloc(MiB);
  const fd = openSync(file, 'r');
  readSync(fd, buf, 0, MiB, 0);
  closeSync(fd);
  return buf;
}
const reader = (buf: Buffer) => (o: number, n: number) => buf.subarray(o, o + n);

describe('readGpt', () => {
  test('reads what sfdisk wrote for our plan: numbers, names, types, uuids, sectors', () => {
    const plan = planPartitions(300 * MiB, 512);
    const buf = image('plan.img', 300 * MiB, sfdiskScript(plan));
    const got = readGpt(reader(buf), 512)!;
    const oracle = JSON.parse(execFileSync('sfdisk', ['--json', join(dir, 'plan.img')], { encoding: 'utf8' })).partitiontable.partitions;
    expect(got.map((e) => e.name)).toEqual(['esp', 'machine-config', 'machine-store', 'machine-scratch']);
    expect(got.map((e) => ({ start: e.firstLba, size: e.lastLba - e.firstLba + 1, type: e.type, uuid: e.uuid, name: e.name }))).toEqual(
      oracle.map((p: Record<string, unknown>) => ({ start: p.start, size: p.size, type: p.type, uuid: p.uuid, name: p.name })),
    );
    expect(got.map((e) => e.number)).toEqual([1, 2, 3, 4]);
  });

  test('unused entries are skipped but numbers are kept; non-ASCII names decode', () => {
    const script = 'label: gpt\nunit: sectors\n2: start=4096, size=2048, name="zwei-ü"\n4: start=8192, size=2048, name=""\n';
    const got = readGpt(reader(image('holes.img', 8 * MiB, script)), 512)!;
    expect(got.map((e) => [e.number, e.name])).toEqual([
      [2, 'zwei-ü'],
      [4, ''],
    ]);
  });

  test('no GPT: undefined (empty disk, MBR, garbage header)', () => {
    expect(readGpt(reader(Buffer.alloc(64 * 1024)), 512)).toBeUndefined();
    expect(readGpt(reader(image('dos.img', 8 * MiB, 'label: dos\nstart=2048, size=2048, type=83\n')), 512)).toBeUndefined();
    const bad = Buffer.alloc(64 * 1024);
    bad.write('EFI PART', 512, 'latin1');
    bad.writeUInt32LE(1 << 20, 512 + 80); // absurd entry count
    expect(readGpt(reader(bad), 512)).toBeUndefined();
  });
});

describe('diskPartitions and partitionsByName (sysfs, fake)', () => {
  test('names come from uevent PARTNAME, else from the GPT matched by start offset, never from numbers', () => {
    const plan = planPartitions(300 * MiB, 512);
    const gpt = image('sys.img', 300 * MiB, sfdiskScript(plan));
    // The kernel numbered them 1..4 but only p1 has a PARTNAME (as after partx): the rest come from the table.
    const sys = fakeSys({
      devices: { '/dev/loop3': gpt },
      files: {
        '/sys/class/block/loop3/queue/logical_block_size': '512',
        ...Object.fromEntries(
          plan.partitions.flatMap((p, i) => [
            [`/sys/class/block/loop3/loop3p${i + 1}/partition`, String(i + 1)],
            [`/sys/class/block/loop3/loop3p${i + 1}/start`, String(p.start / 512)],
            [`/sys/class/block/loop3/loop3p${i + 1}/size`, String(p.size / 512)],
            [`/sys/class/block/loop3/loop3p${i + 1}/uevent`, `MAJOR=259\nMINOR=${i}\nDEVNAME=loop3p${i + 1}\nDEVTYPE=partition\nPARTN=${i + 1}${i === 0 ? '\nPARTNAME=esp' : ''}`],
          ]),
        ),
        '/sys/class/block/vda/size': '100',
      },
    });
    const parts = diskPartitions('loop3', sys);
    expect(parts.map((p) => [p.device, p.name, p.start, p.size])).toEqual(plan.partitions.map((p, i) => [`/dev/loop3p${i + 1}`, p.name, p.start, p.size]));
    expect(parts[2].type).toBe('F79962B9-24E6-9948-9F94-E6BFDAD2771B');
    const byName = partitionsByName(sys);
    expect(byName.get('machine-config')?.map((p) => p.device)).toEqual(['/dev/loop3p2']);
    expect([...byName.keys()].sort()).toEqual(['esp', 'machine-config', 'machine-scratch', 'machine-store']);
  });
});
