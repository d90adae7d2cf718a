import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temp dirs a test made; `cleanup()` removes them all (call it in afterEach/afterAll). */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(prefix = 'mos-test-'): string {
      const d = mkdtempSync(join(tmpdir(), prefix));
      made.push(d);
      return d;
    },
    cleanup(): void {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}
