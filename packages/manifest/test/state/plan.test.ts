import { assertNewer, assertNotExpired, HOST_POLICY, systemForInstall, systemForUpdate, type InstallManifest } from '@mos/manifest';
import { PRODUCT } from '../helpers/fixtures';

const manifest = (targets: [string, string, string?][], storage: [string, string][] = [], update_type: 'complete' | 'partial' = 'complete'): InstallManifest => ({
  version: 1,
  product: PRODUCT,
  update_type,
  storage: storage.map(([label, nsgroup]) => ({ label, nsgroup, persistent: true, size: 10 })),
  targets: targets.map(([name, nsgroup, label]) => ({
    service_name: name,
    version: '1',
    service_type: 'container',
    nsgroup,
    network: { type: 'none', ipv4: '', ipv6: '', ports: [] },
    digest: 'sha256:' + '0'.repeat(64),
    size: 1,
    storage: label ? [{ dest: '/data', label }] : [],
  })),
});
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('system plans', () => {
  test('install: every target from the manifest, ranges for target *and* storage nsgroups', () => {
    const sys = systemForInstall({ sha256: A, manifest: manifest([['web', 'web', 'cache'], ['db', '']], [['cache', 'store']]) }, HOST_POLICY);
    expect(sys.targets).toEqual([
      { name: 'web', source: `${A}.json` },
      { name: 'db', source: `${A}.json` },
    ]);
    expect(sys.uidmaps).toEqual([
      { 'idmap-name': 'web', hostid: 100000 },
      { 'idmap-name': 'store', hostid: 165536 },
    ]);
  });

  test('the newest applied serial rides in the state, never goes down, and is omitted while 0', () => {
    const m = (serial?: number) => ({ ...manifest([['web', '']]), ...(serial === undefined ? {} : { serial }) });
    expect('newest_serial' in systemForInstall({ sha256: A, manifest: m() }, HOST_POLICY)).toBe(false);
    const current = systemForInstall({ sha256: A, manifest: m(7) }, HOST_POLICY);
    expect(current.newest_serial).toBe(7);
    expect(systemForUpdate(current, new Map([[A, m(7)]]), { sha256: B, manifest: m(9) }, HOST_POLICY).newest_serial).toBe(9);
    expect(systemForUpdate(current, new Map([[A, m(7)]]), { sha256: B, manifest: m() }, HOST_POLICY).newest_serial).toBe(7);
  });

  test('freshness: an update must carry a greater serial than the newest applied; expires is checked against the clock', () => {
    const current = systemForInstall({ sha256: A, manifest: { ...manifest([['web', '']]), serial: 7 } }, HOST_POLICY);
    expect(() => assertNewer(current, { sha256: B, manifest: { ...manifest([['web', '']]), serial: 8 } })).not.toThrow();
    for (const serial of [7, 6, undefined]) {
      expect(() => assertNewer(current, { sha256: B, manifest: { ...manifest([['web', '']]), ...(serial === undefined ? {} : { serial }) } })).toThrow(
        expect.objectContaining({ code: 'ERR_MANIFEST_VERIFY_FAILED', check: 'replay', message: expect.stringContaining(`serial ${serial ?? 0}, not newer than serial 7`) }),
      );
    }
    const expiring = { ...manifest([['web', '']]), expires: '2030-01-01T00:00:00+01:00' };
    expect(() => assertNotExpired(expiring, 'm', new Date('2029-12-31T22:59:59Z'))).not.toThrow();
    expect(() => assertNotExpired(expiring, 'm', new Date('2029-12-31T23:00:01Z'))).toThrow(expect.objectContaining({ check: 'expired' }));
    expect(() => assertNotExpired(manifest([['web', '']]), 'm', new Date('2999-01-01T00:00:00Z'))).not.toThrow();
  });

  test('install refuses a partial manifest', () => {
    expect(() => systemForInstall({ sha256: A, manifest: manifest([['web', '']], [], 'partial') }, HOST_POLICY)).toThrow(/partial/);
  });

  test('partial update: merges, keeps old ranges, adds new ones after them', () => {
    const first = manifest([['web', 'web'], ['db', 'db']]);
    const current = systemForInstall({ sha256: A, manifest: first }, HOST_POLICY);
    const next = systemForUpdate(current, new Map([[A, first]]), { sha256: B, manifest: manifest([['cache', 'cache'], ['db', 'db']], [], 'partial') }, HOST_POLICY);
    expect(next.targets).toEqual([
      { name: 'web', source: `${A}.json` },
      { name: 'cache', source: `${B}.json` },
      { name: 'db', source: `${B}.json` },
    ]);
    expect(next.uidmaps).toEqual([
      { 'idmap-name': 'web', hostid: 100000 },
      { 'idmap-name': 'cache', hostid: 231072 },
      { 'idmap-name': 'db', hostid: 165536 },
    ]);
  });

  test('an update leaving a target mounting undeclared storage is refused', () => {
    const first = manifest([['web', '', 'data']], [['data', '']]);
    const current = systemForInstall({ sha256: A, manifest: first }, HOST_POLICY);
    expect(() => systemForUpdate(current, new Map([[A, first]]), { sha256: B, manifest: manifest([['web', '', 'data']]) }, HOST_POLICY)).toThrow(
      expect.objectContaining({ code: 'ERR_MANIFEST_INVALID' }),
    );
  });
});
