import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearStaged, readSource, readStaged, sourcePath, stagedPath, writeSource, writeStaged } from '@mos/manifest';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mos-staged-'));
  mkdirSync(join(root, 'config'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const json = Buffer.from('{"version":1,"product":"p","update_type":"complete","targets":[]}');
const signed = { sha256: createHash('sha256').update(json).digest('hex'), json, signature: Buffer.from([0, 1, 2, 255]), certificate: Buffer.from('-----BEGIN CERTIFICATE-----\n') };
const rec = { url: 'reg:5000/machine/x:2', basedOn: 'a'.repeat(40), at: '2026-12-06T03:00:00.000Z', serial: 200, signed };

describe('staged record', () => {
  test('round-trips byte for byte, private to root, and leaves no temp file', async () => {
    await writeStaged(root, rec);
    expect(await readStaged(root)).toEqual({ schema: 1, ...rec });
    expect(statSync(stagedPath(root)).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(root, 'config'))).toEqual(['staged.json']);
  });

  test('an applied mark round-trips; a malformed one makes the record unreadable', async () => {
    const applied = { commit: 'b'.repeat(40), at: '2026-12-06T04:00:00.000Z' };
    await writeStaged(root, { ...rec, applied });
    expect((await readStaged(root))?.applied).toEqual(applied);
    const doc = JSON.parse(readFileSync(stagedPath(root), 'utf8'));
    writeFileSync(stagedPath(root), JSON.stringify({ ...doc, applied: { commit: 'nope', at: applied.at } }));
    expect(await readStaged(root)).toBeUndefined();
  });

  test('the sha256 naming the manifest is computed from its bytes, never taken from the file', async () => {
    await writeStaged(root, rec);
    const doc = JSON.parse(readFileSync(stagedPath(root), 'utf8'));
    doc.sha256 = 'f'.repeat(64);
    doc.signed.json = Buffer.from('{"other":true}').toString('base64');
    writeFileSync(stagedPath(root), JSON.stringify(doc));
    const r = await readStaged(root);
    expect(r?.signed.sha256).toBe(createHash('sha256').update('{"other":true}').digest('hex'));
  });

  test.each([
    ['missing', null],
    ['not JSON', 'garbage{'],
    ['another schema', JSON.stringify({ schema: 2 })],
    ['a short basedOn', (d: any) => ({ ...d, basedOn: 'abc' })],
    ['a fractional serial', (d: any) => ({ ...d, serial: 1.5 })],
    ['a bad time', (d: any) => ({ ...d, at: 'yesterday' })],
    ['no signature', (d: any) => ({ ...d, signed: { ...d.signed, signature: undefined } })],
    ['a signature that is not base64', (d: any) => ({ ...d, signed: { ...d.signed, signature: '#!' } })],
  ])('a record that is %s reads as nothing staged', async (_what, change) => {
    await writeStaged(root, rec);
    if (change === null) rmSync(stagedPath(root));
    else writeFileSync(stagedPath(root), typeof change === 'string' ? change : JSON.stringify(change(JSON.parse(readFileSync(stagedPath(root), 'utf8')))));
    expect(await readStaged(root)).toBeUndefined();
  });

  test('clearStaged forgets it, and is a no-op when nothing is staged', async () => {
    await writeStaged(root, rec);
    await clearStaged(root);
    expect(existsSync(stagedPath(root))).toBe(false);
    await clearStaged(root);
    expect(await readStaged(root)).toBeUndefined();
  });
});

describe('source record', () => {
  test('round-trips; writing again replaces it', async () => {
    expect(await readSource(root)).toBeUndefined();
    const now = new Date('2026-12-06T03:00:00Z');
    expect(await writeSource(root, 'reg:5000/machine/x:stable', now)).toEqual({ schema: 1, url: 'reg:5000/machine/x:stable', since: now.toISOString() });
    await writeSource(root, 'reg:5000/machine/y:edge', now);
    expect((await readSource(root))?.url).toBe('reg:5000/machine/y:edge');
  });

  test.each([['not JSON', '{'], ['an empty url', JSON.stringify({ schema: 1, url: '', since: '2026-12-06T03:00:00Z' })], ['no time', JSON.stringify({ schema: 1, url: 'x' })]])(
    'a record that is %s reads as no source',
    async (_what, text) => {
      writeFileSync(sourcePath(root), text);
      expect(await readSource(root)).toBeUndefined();
    },
  );
});
