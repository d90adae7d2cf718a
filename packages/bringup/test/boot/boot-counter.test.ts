import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootCounter, bootCountPath, type BootSys } from '@mos/bringup';
import { commitState, initState, writeLifecycle, type PendingRecord, type SystemManifest } from '@mos/manifest';
import { FakeBootSys } from '../helpers/fake-boot-sys';

// The boot counter against a real manifest.git and lifecycle record on a temp root; its writes
// go to the real files through a sys whose durable write is a plain one.
let base: string;
let head: string;
let previous: string;
const sys = new FakeBootSys();
const realWrites: BootSys = Object.assign(sys, {
  writeFileDurable: async (p: string, data: string) => writeFileSync(p, data),
  mkdirp: async (p: string) => void mkdirSync(p, { recursive: true }),
});
const system = (v: number): SystemManifest => ({ uidmaps: [], storage: [], targets: [], newest_serial: v });
const trial = (over: Partial<PendingRecord> = {}): PendingRecord => ({
  commit: head,
  previous,
  kind: 'update',
  since: new Date().toISOString(),
  timeoutSeconds: 300,
  settleSeconds: 15,
  autoRollback: true,
  watch: true,
  nextBoot: ['hostfs'],
  ...over,
});
const lines: string[] = [];
const select = () => bootCounter({ sys: realWrites, maxTries: 2 }).select({ base, log: (s) => lines.push(s) });

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'mos-bootcount-'));
  const configDir = join(base, 'config');
  previous = await initState({ configDir, state: { system: system(1), installs: [] } });
  head = await commitState({ configDir, state: { system: system(2), installs: [] }, message: 'System upgrade' });
  lines.length = 0;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

test('a hostfs change on trial is booted maxTries times, counted before each boot, then the previous state boots', async () => {
  await writeLifecycle(base, { schema: 1, pending: trial() });
  expect(await select()).toEqual({ trial: { head, previous, tries: 1, maxTries: 2, fellBack: false } });
  expect(JSON.parse(readFileSync(bootCountPath(base), 'utf8'))).toEqual({ commit: head, tries: 1 });
  expect(await select()).toEqual({ trial: { head, previous, tries: 2, maxTries: 2, fellBack: false } });
  // Not confirmed after two boots: the previous state, from now on, without counting further.
  for (let i = 0; i < 2; i++) expect(await select()).toEqual({ commit: previous, trial: { head, previous, tries: 2, maxTries: 2, fellBack: true } });
  expect(lines.pop()).toMatch(/booted 2 times without being confirmed: booting the previous state/);
});

test('nothing pending, a container-only trial, or a confirmed state: the head boots and nothing is counted', async () => {
  expect(await select()).toEqual({});
  await writeLifecycle(base, { schema: 1, pending: trial({ nextBoot: [] }) });
  expect(await select()).toEqual({});
  await writeLifecycle(base, { schema: 1, confirmed: { commit: head, at: new Date().toISOString(), by: 'auto' } });
  expect(await select()).toEqual({});
  expect(() => readFileSync(bootCountPath(base))).toThrow();
});

test('a count for another head starts again at 1; a garbled count counts as none', async () => {
  await writeLifecycle(base, { schema: 1, pending: trial() });
  mkdirSync(join(base, 'scratch-writes', 'mos'), { recursive: true });
  writeFileSync(bootCountPath(base), JSON.stringify({ commit: previous, tries: 9 }));
  expect((await select()).trial).toMatchObject({ tries: 1, fellBack: false });
  writeFileSync(bootCountPath(base), '{"commit":');
  expect((await select()).trial).toMatchObject({ tries: 1, fellBack: false });
});

test('no readable state: no choice (verification then fails, naming it)', async () => {
  rmSync(join(base, 'config'), { recursive: true });
  expect(await select()).toEqual({});
});
