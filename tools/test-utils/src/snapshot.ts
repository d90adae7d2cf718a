import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every entry under `dir` with its type and content hash (files), target (links) or mode: two
 * equal snapshots mean nothing changed. Used after every command that must fail cleanly.
 */
export function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = lstatSync(p);
      const key = relative(dir, p);
      if (st.isSymbolicLink()) out[key] = `link:${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = `dir:${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else if (st.isFile()) out[key] = `file:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      else out[key] = `other:${st.mode.toString(8)}`;
    }
  };
  walk(dir);
  return out;
}
