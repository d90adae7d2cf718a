import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every entry under `dir` (relative path → type, mode and, for files, the sha256 of the
 * content): compare two snapshots to show that a failed command changed nothing.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[`${r}/`] = `dir ${mode}`;
        walk(r);
      } else {
        out[r] = `file ${mode} ${createHash('sha256').update(readFileSync(join(dir, r))).digest('hex')}`;
      }
    }
  };
  walk('');
  return out;
}
