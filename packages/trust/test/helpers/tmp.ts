import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp directories for one test file: `tmp()` makes a fresh one, and every directory it made
 * is removed in `afterAll`. Call `tempDirs()` at the top level of a test file.
 */
export function tempDirs(prefix = 'mos-trust-test-'): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}

/** Runs `fn` with a fresh temp directory that is removed afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T, prefix = 'mos-trust-test-'): Promise<T> {
  const d = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(d);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
