import { allocateUidMaps, HOST_POLICY, NESTED_POLICY, uidRangePolicy, UidsExhaustedError, type UidMap } from '@mos/manifest';

const overlaps = (maps: UidMap[], size: number) =>
  maps.some((a, i) => maps.some((b, j) => i !== j && a.hostid < b.hostid + size && b.hostid < a.hostid + size));

describe('nsgroup uid ranges', () => {
  test('five nsgroups get distinct, non-overlapping 65536-wide ranges from 100000', () => {
    const maps = allocateUidMaps({ nsgroups: ['a', 'b', 'c', 'd', 'e'], previous: [], policy: HOST_POLICY });
    expect(maps.map((m) => m.hostid)).toEqual([100000, 165536, 231072, 296608, 362144]);
    expect(overlaps(maps, HOST_POLICY.size)).toBe(false);
  });

  test('"" and "none" get no range; repeats get one', () => {
    expect(allocateUidMaps({ nsgroups: ['', 'none', 'a', 'a', ''], previous: [], policy: HOST_POLICY })).toEqual([{ 'idmap-name': 'a', hostid: 100000 }]);
  });

  test('stable across an update that adds and removes nsgroups', () => {
    const first = allocateUidMaps({ nsgroups: ['a', 'b', 'c', 'd', 'e'], previous: [], policy: HOST_POLICY });
    const second = allocateUidMaps({ nsgroups: ['e', 'b', 'f', 'g'], previous: first, policy: HOST_POLICY });
    const byName = (maps: UidMap[]) => Object.fromEntries(maps.map((m) => [m['idmap-name'], m.hostid]));
    expect(byName(second).b).toBe(byName(first).b);
    expect(byName(second).e).toBe(byName(first).e);
    // New groups never reuse a range of the previous system, not even one it drops now.
    for (const g of ['f', 'g']) expect(first.map((m) => m.hostid)).not.toContain(byName(second)[g]);
    expect(overlaps(second, HOST_POLICY.size)).toBe(false);
    // ...and a third update keeps the survivors' ranges again.
    const third = allocateUidMaps({ nsgroups: ['g', 'f', 'b'], previous: second, policy: HOST_POLICY });
    expect(byName(third)).toEqual({ g: byName(second).g, f: byName(second).f, b: byName(second).b });
  });

  test('a new group fills the first gap that fits', () => {
    const previous = [
      { 'idmap-name': 'x', hostid: 100000 },
      { 'idmap-name': 'y', hostid: 300000 },
    ];
    const maps = allocateUidMaps({ nsgroups: ['x', 'y', 'new'], previous, policy: HOST_POLICY });
    expect(maps.find((m) => m['idmap-name'] === 'new')?.hostid).toBe(165536);
  });

  test('ranges of a state written by the original (all at 100000) are kept, new ones do not overlap them', () => {
    const previous = [
      { 'idmap-name': 'x', hostid: 100000 },
      { 'idmap-name': 'y', hostid: 100000 },
    ];
    const maps = allocateUidMaps({ nsgroups: ['x', 'y', 'z'], previous, policy: HOST_POLICY });
    expect(maps.map((m) => m.hostid)).toEqual([100000, 100000, 165536]);
  });

  test('nested policy: 2000 ids from 40000', () => {
    expect(allocateUidMaps({ nsgroups: ['a', 'b'], previous: [], policy: NESTED_POLICY }).map((m) => m.hostid)).toEqual([40000, 42000]);
  });

  test('the policy follows /proc/self/uid_map', () => {
    expect(uidRangePolicy('         0          0 4294967295\n')).toBe(HOST_POLICY);
    expect(uidRangePolicy('         0     100000      65536\n')).toBe(NESTED_POLICY);
  });

  test('exhaustion is a typed error', () => {
    const previous = [{ 'idmap-name': 'x', hostid: 2 ** 32 - 65536 }];
    expect(() => allocateUidMaps({ nsgroups: ['y'], previous, policy: { start: 2 ** 32 - 65536, size: 65536 } })).toThrow(UidsExhaustedError);
  });
});
