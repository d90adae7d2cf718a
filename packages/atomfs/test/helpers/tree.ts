import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** A comparable description of a tree: path → type and content (file hash, link target). */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      if (st.isDirectory()) {
        out[p] = 'dir';
        walk(p);
      } else if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(join(root, p))}`;
      else if (st.isFile()) out[p] = `file ${createHash('sha256').update(readFileSync(join(root, p))).digest('hex').slice(0, 16)}`;
      else out[p] = st.isCharacterDevice() ? `chardev ${st.rdev}` : 'other';
    }
  };
  walk('');
  return out;
}
