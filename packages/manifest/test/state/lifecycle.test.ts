import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lifecyclePath, pendingFor, readLifecycle, writeLifecycle, type PendingRecord } from '@mos/manifest';

const C = (n: number) => String(n).repeat(40);
const pending = (over: Partial<PendingRecord> = {}): PendingRecord => ({
  commit: C(2),
  previous: C(1),
  kind: 'update',
  since: '2026-12-05T10:00:00.000Z',
  timeoutSeconds: 300,
  settleSeconds: 15,
  autoRollback: true,
  watch: true,
  nextBoot: [],
  ...over,
});

describe('pendingFor', () => {
  test('a record naming the current commit applies; one naming another does not', () => {
    expect(pendingFor({ schema: 1, pending: pending() }, C(2), C(1))).toEqual(pending());
    expect(pendingFor({ schema: 1, pending: pending() }, C(3), C(2))).toBeUndefined();
    expect(pendingFor({ schema: 1 }, C(2), C(1))).toBeUndefined();
  });

  test('a record written before a commit that a kill kept from naming it applies to that commit only', () => {
    const half = { schema: 1 as const, pending: pending({ commit: null }) };
    // Killed after the commit: the new state (whose parent is `previous`) is pending.
    expect(pendingFor(half, C(2), C(1))).toEqual(pending({ commit: C(2) }));
    // Killed before the commit: the current state is `previous` itself, confirmed as it was.
    expect(pendingFor(half, C(1), C(0))).toBeUndefined();
    expect(pendingFor(half, C(1), undefined)).toBeUndefined();
    // ... unless the state being left was itself on trial: that trial still applies.
    const over = { ...half, replacing: pending({ commit: C(1), previous: C(0), kind: 'update' }) };
    expect(pendingFor(over, C(1), C(0))).toEqual(over.replacing);
    expect(pendingFor(over, C(2), C(1))).toEqual(pending({ commit: C(2) }));
  });
});

describe('readLifecycle / writeLifecycle', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mos-lifecycle-'));
    mkdirSync(join(root, 'config'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('round-trips, atomically (no temp file left)', async () => {
    const rec = { schema: 1 as const, pending: pending(), confirmed: { commit: C(1), at: '2026-12-05T09:00:00.000Z', by: 'auto' as const } };
    await writeLifecycle(root, rec);
    expect(await readLifecycle(root)).toEqual(rec);
    expect(readdirSync(join(root, 'config'))).toEqual(['lifecycle.json']);
  });

  test('missing, unparsable or mis-shaped parts read as absent (the file is not trusted)', async () => {
    expect(await readLifecycle(root)).toEqual({ schema: 1 });
    writeFileSync(lifecyclePath(root), '{not json');
    expect(await readLifecycle(root)).toEqual({ schema: 1 });
    const bad = [
      { commit: 'HEAD' },
      { previous: '../x' },
      { kind: 'reboot' },
      { since: 'yesterday' },
      { timeoutSeconds: -1 },
      { settleSeconds: 'x' },
      { autoRollback: 'yes' },
      { nextBoot: 'hostfs' },
    ];
    for (const over of bad) {
      writeFileSync(lifecyclePath(root), JSON.stringify({ schema: 1, pending: { ...pending(), ...over }, confirmed: { commit: C(1), at: 'x', by: 'auto' } }));
      expect(await readLifecycle(root)).toEqual({ schema: 1 });
    }
  });
});
