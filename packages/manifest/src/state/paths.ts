import { join } from 'node:path';

/** Where a host keeps its state, relative to its root (DESIGN.md's on-disk layout). */
export function statePaths(root: string) {
  const configDir = join(root, 'config');
  return {
    configDir,
    manifestGit: join(configDir, 'manifest.git'),
    lock: join(configDir, 'manifest.lock'),
  };
}
