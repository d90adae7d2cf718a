import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp directories for one test file: `make()` creates one, `cleanup()` (call it in afterEach or
 * afterAll) removes every one made, also when the test failed.
 */
export function tempDirs(prefix = 'oci-store-') {
  const made: string[] = [];
  return {
    make(): string {
      const d = mkdtempSync(join(tmpdir(), prefix));
      made.push(d);
      return d;
    },
    cleanup(): void {
      while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
    },
  };
}
