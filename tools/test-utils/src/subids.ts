import { readFileSync, writeFileSync } from 'node:fs';

const FILES = ['/etc/subuid', '/etc/subgid'];
const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Remembers /etc/subuid and /etc/subgid; the returned function removes the lines added since
 * (mos reserves root's subordinate ranges for nsgroup containers, as a host running it would),
 * so a test run or the demo leaves the machine as it found it.
 */
export function preserveSubids(): () => void {
  const before = new Map(FILES.map((f) => [f, read(f)]));
  return () => {
    for (const [f, text] of before) {
      const now = read(f);
      if (now === undefined) continue;
      const had = new Set((text ?? '').split('\n'));
      const kept = now.split('\n').filter((l) => had.has(l));
      if (kept.join('\n') !== now) writeFileSync(f, kept.join('\n'));
    }
  };
}
