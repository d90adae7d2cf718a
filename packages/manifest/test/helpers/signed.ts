import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { makeKeys, signInstall, type TestKeys } from '@mos/test-utils';
import type { TestKeys } from '@mos/test-utils';

/** A temp host root with `config/` and the manifest CA where a host keeps it. */
export function makeRoot(keys: TestKeys): string {
  const root = mkdtempSync(join(tmpdir(), 'mos-root-'));
  mkdirSync(join(root, 'config'));
  mkdirSync(join(root, 'factory', 'secure'), { recursive: true });
  copyFileSync(keys.caPath, join(root, 'factory', 'secure', 'manifestCA.pem'));
  return root;
}

/** Removes temp dirs; tolerates ones a failed beforeAll never made. */
export const rmrf = (...dirs: (string | undefined)[]) => dirs.forEach((d) => d && rmSync(d, { recursive: true, force: true }));

/** Runs git in a repository; returns stdout. Author env set so test commits are ours, not the machine's. */
export function gitCli(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'test-user', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'test-user', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
}
