// Unit tests of the pure disk layout: test/unit may touch internals (the plan is also exported).
import { FIRST_START, FULL_SIZES, GiB, MiB, minDiskBytes, minSizes, PARTITION_NAMES, planPartitions, PartitionType, sfdiskScript } from '../../src/disk/plan';
import { MosctlError } from '../../src/errors';
import { exitCodeOf } from '../../src/cli/exit-codes';

const tail = (ss: number) => 128 * 128 + ss;

function checkInvariants(diskBytes: number, ss: number) {
  const plan = planPartitions(diskBytes, ss);
  expect(plan.partitions.map((p) => p.name)).toEqual([...PARTITION_NAMES]);
  expect(plan.partitions[0].start).toBe(FIRST_START);
  let at = FIRST_START;
  for (const p of plan.partitions) {
    expect(p.start).toBe(at); // in order, no gaps, no overlap
    expect(p.start % MiB).toBe(0);
    expect(p.size % MiB).toBe(0);
    expect(p.startSector * ss).toBe(p.start);
    expect(p.sectors * ss).toBe(p.size);
    expect(p.size).toBeGreaterThanOrEqual(minSizes(ss)[p.name]);
    expect(p.size).toBeLessThanOrEqual(FULL_SIZES[p.name]);
    expect(p.type).toBe(PartitionType[p.name]);
    at += p.size;
  }
  expect(at).toBeLessThanOrEqual(diskBytes - tail(ss));
  expect(plan.free).toBeGreaterThanOrEqual(0);
  return plan;
}

describe('planPartitions', () => {
  test('a 512 MiB test image: esp 64, config 16, store 4/7 of the rest, scratch the remainder', () => {
    const plan = checkInvariants(512 * MiB, 512);
    expect(plan.partitions.map((p) => p.size / MiB)).toEqual([64, 16, 244, 183]);
    expect(plan.free).toBe(0);
  });

  test('the documented minimum, 256 MiB, gives esp 64, config 16, store 97, scratch 74 MiB', () => {
    expect(minDiskBytes(512)).toBe(256 * MiB);
    expect(checkInvariants(256 * MiB, 512).partitions.map((p) => p.size / MiB)).toEqual([64, 16, 97, 74]);
  });

  test('below the minimum: ERR_MOSCTL_DISK_TOO_SMALL naming the minimum (a usage-class exit, not 3)', () => {
    let err: unknown;
    try {
      planPartitions(256 * MiB - 512, 512);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MosctlError);
    expect((err as MosctlError).code).toBe('ERR_MOSCTL_DISK_TOO_SMALL');
    expect((err as MosctlError).details).toEqual({ size: 256 * MiB - 512, minimum: 256 * MiB });
    expect((err as Error).message).toMatch(/at least 256 MiB/);
    expect(exitCodeOf(err)).toBe(2);
  });

  test("the original's sizes from 110 GiB on; a bigger disk keeps the rest free", () => {
    for (const size of [110 * GiB, 500 * GiB, 4096 * GiB]) {
      const plan = checkInvariants(size, 512);
      expect(plan.partitions.map((p) => p.size)).toEqual([1 * GiB, 1 * GiB, 60 * GiB, 45 * GiB]);
    }
    expect(checkInvariants(500 * GiB, 512).free).toBe(500 * GiB - 4 * MiB - 107 * GiB - MiB);
  });

  test('every size from the minimum to 120 GiB keeps the invariants (sweep, odd sizes too)', () => {
    for (const ss of [512, 4096]) {
      for (let size = minDiskBytes(ss); size < 120 * GiB; size = Math.floor(size * 1.07) + 4096 * 3) checkInvariants(size, ss);
    }
  });

  test('4096-byte sectors: a larger ESP for FAT32, a larger minimum', () => {
    expect(minSizes(4096).esp).toBe(269 * MiB);
    expect(minDiskBytes(4096)).toBe(461 * MiB);
    expect(() => planPartitions(460 * MiB, 4096)).toThrow(expect.objectContaining({ code: 'ERR_MOSCTL_DISK_TOO_SMALL' }));
    const plan = checkInvariants(1 * GiB, 4096);
    expect(plan.partitions[0].startSector).toBe(1024);
  });

  test('an unsupported sector size is refused', () => {
    expect(() => planPartitions(GiB, 520)).toThrow(expect.objectContaining({ code: 'ERR_MOSCTL_NOT_A_DISK' }));
  });
});

describe('sfdiskScript', () => {
  test('label gpt, sectors, names and type GUIDs in order', () => {
    expect(sfdiskScript(planPartitions(512 * MiB, 512))).toBe(
      [
        'label: gpt',
        'unit: sectors',
        'sector-size: 512',
        'start=8192, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"',
        'start=139264, size=32768, type=F79962B9-24E6-9948-9F94-E6BFDAD2771A, name="machine-config"',
        'start=172032, size=499712, type=F79962B9-24E6-9948-9F94-E6BFDAD2771B, name="machine-store"',
        'start=671744, size=374784, type=F79962B9-24E6-9948-9F94-E6BFDAD2771C, name="machine-scratch"',
      ].join('\n') + '\n',
    );
  });
});
