import { join } from 'node:path';
import {
  commitState,
  findRollbackTarget,
  HOST_POLICY,
  initState,
  loadInstallManifest,
  sameSystem,
  stateChanges,
  systemForInstall,
  systemForUpdate,
  type InstallManifest,
  type StateView,
} from '@mos/manifest';
import { DIGEST_A, DIGEST_B, install, target } from '../helpers/fixtures';
import { makeKeys, makeRoot, rmrf, signInstall, type TestKeys } from '../helpers/signed';

const im = (targets: Record<string, unknown>[], over: Record<string, unknown> = {}): InstallManifest => loadInstallManifest(Buffer.from(JSON.stringify(install({ targets, ...over })))).manifest;
const view = (sha: string, m: InstallManifest): StateView => ({ system: systemForInstall({ sha256: sha, manifest: m }, HOST_POLICY), installs: new Map([[sha, m]]) });
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('stateChanges', () => {
  const hostfs = (digest = DIGEST_A) => target({ service_name: 'hostfs', service_type: 'hostfs', digest, nsgroup: '' });
  const web = (over: Record<string, unknown> = {}) => target({ service_name: 'web', service_type: 'container', nsgroup: 'web', ...over });
  const db = () => target({ service_name: 'db', service_type: 'container', nsgroup: 'db' });

  test('added, changed (any field of the signed entry), removed, unchanged; hostfs waits for the next boot', () => {
    const before = view(A, im([hostfs(), web(), db()]));
    const after = view(B, im([hostfs(DIGEST_B), web({ network: { type: 'none', ipv4: '', ipv6: '', ports: null } }), target({ service_name: 'cache', service_type: 'fs-only', nsgroup: '' })]));
    const c = stateChanges(before, after);
    expect(c.added.map((t) => t.name)).toEqual(['cache']);
    expect(c.changed).toEqual([
      { name: 'hostfs', type: 'hostfs', from: { version: expect.any(String), digest: DIGEST_A }, to: { version: expect.any(String), digest: DIGEST_B } },
      { name: 'web', type: 'container', from: expect.any(Object), to: expect.any(Object) },
    ]);
    expect(c.removed.map((t) => t.name)).toEqual(['db']);
    expect(c.unchanged).toEqual([]);
    expect(c.nextBoot).toEqual(['hostfs']);
    expect(c.empty).toBe(false);
  });

  test('the same targets from another install manifest are unchanged; storage labels are compared', () => {
    const storage = [{ label: 'data', persistent: true, nsgroup: 'web', size: 10 }];
    const before = view(A, im([hostfs(), web()]));
    const after = view(B, im([hostfs(), web()], { storage }));
    const c = stateChanges(before, after);
    expect(c).toMatchObject({ added: [], changed: [], removed: [], unchanged: ['hostfs', 'web'], storageAdded: ['data'], storageRemoved: [], empty: false });
    expect(stateChanges(after, before)).toMatchObject({ storageAdded: [], storageRemoved: ['data'] });
    expect(stateChanges(before, before).empty).toBe(true);
  });

  test('the bootkit changes at the next boot too, whatever its type', () => {
    const kit = (digest: string) => target({ service_name: 'bootkit', service_type: 'fs-only', digest, nsgroup: '' });
    const c = stateChanges(view(A, im([hostfs(), kit(DIGEST_A)])), view(B, im([hostfs(), kit(DIGEST_B)])));
    expect(c.nextBoot).toEqual(['bootkit']);
  });
});

describe('findRollbackTarget', () => {
  let keys: TestKeys;
  let root: string;
  beforeAll(async () => {
    keys = await makeKeys();
  });
  afterAll(() => rmrf(keys?.dir));
  beforeEach(() => {
    root = makeRoot(keys);
  });
  afterEach(() => rmrf(root));
  const configDir = () => join(root, 'config');

  test('the most recent earlier state that differs; none after a first install; a state equal but for the serial is the same', async () => {
    const one = signInstall(install({ product: keys.product, serial: 1 }), keys);
    const m1 = loadInstallManifest(one.json);
    const s1 = systemForInstall(m1, HOST_POLICY);
    const c1 = await initState({ configDir: configDir(), state: { system: s1, installs: [one] } });
    expect(await findRollbackTarget({ configDir: configDir() })).toBeUndefined();

    const two = signInstall(install({ product: keys.product, serial: 2, targets: [target({ digest: DIGEST_B })] }), keys);
    const m2 = loadInstallManifest(two.json);
    const s2 = systemForUpdate(s1, new Map([[m1.sha256, m1.manifest]]), m2, HOST_POLICY);
    await commitState({ configDir: configDir(), state: { system: s2, installs: [two] }, message: 'update' });
    expect((await findRollbackTarget({ configDir: configDir() }))?.commit).toBe(c1);

    // A rollback commit has state one's system with the newest serial kept: it is state one.
    const back = { ...s1, newest_serial: 2 };
    expect(sameSystem(back, s1)).toBe(true);
    expect(sameSystem(back, s2)).toBe(false);
    await commitState({ configDir: configDir(), state: { system: back, installs: [one] }, message: 'Rollback to x (by hand)' });
    const again = await findRollbackTarget({ configDir: configDir() });
    expect(again?.message).toBe('update'); // a second rollback undoes the first
    await commitState({ configDir: configDir(), state: { system: back, installs: [one] }, message: 'same again' });
    expect((await findRollbackTarget({ configDir: configDir() }))?.commit).toBe(again?.commit);
  });
});
