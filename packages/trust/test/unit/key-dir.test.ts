// Touches an internal (createAtomically is not exported) to force an interleaving the public
// API only hits by chance: two creators of one directory finishing in the same tick.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustError } from '@mos/trust';
import { createAtomically } from '../../src/keyset/key-dir';
import { tempDirs } from '../helpers/tmp';

const tmp = tempDirs();

test('two creators racing past the existence check: one wins, the other gets ERR_TRUST_EXISTS, no temp dir left', async () => {
  const parent = tmp();
  const dest = join(parent, 'proj');
  // Both fills return in the same tick once both have started, so both creators have passed
  // the existence check before either renames.
  let release!: () => void;
  const barrier = new Promise<void>((r) => (release = r));
  let arrived = 0;
  const fill = (id: string) => async (dir: string) => {
    writeFileSync(join(dir, 'who'), id);
    if (++arrived === 2) release();
    await barrier;
  };
  const results = await Promise.allSettled([createAtomically(dest, 'project "proj"', fill('a')), createAtomically(dest, 'project "proj"', fill('b'))]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  expect(reason).toBeInstanceOf(TrustError);
  expect({ code: reason.code, check: reason.check }).toEqual({ code: 'ERR_TRUST_EXISTS', check: 'exists' });
  expect(readdirSync(parent)).toEqual(['proj']);
  expect(existsSync(join(dest, 'who'))).toBe(true);
});
