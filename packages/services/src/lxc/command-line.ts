import { invalid } from '../errors';

/**
 * Joins a command for `lxc.execute.cmd`. lxc 5 splits that value at whitespace; a word that
 * *starts* with `"` or `'` runs to the next same quote, and there are no escapes. So a plain
 * word is written as is, a word with whitespace (or empty, or starting with a quote) is wrapped
 * in `"…"`, or `'…'` when it contains `"`. Words lxc cannot carry (both quote kinds plus
 * whitespace, or a line break, or NUL) are refused before anything changes. This matches the
 * original (which double-quoted words with spaces) wherever the original worked.
 *
 * @example
 * import { lxcCommandLine } from '@mos/services';
 * lxcCommandLine(['/bin/sh', '-c', 'echo hi']); // '/bin/sh -c "echo hi"'
 */
export function lxcCommandLine(argv: string[]): string {
  if (argv.length === 0 || argv[0] === '') throw invalid('the container command is empty', { argv });
  return argv.map((w) => quoteWord(w, argv)).join(' ');
}

function quoteWord(w: string, argv: string[]): string {
  if (/[\n\r\0]/.test(w)) throw invalid(`command argument ${JSON.stringify(w)} contains a line break or NUL, which an lxc config cannot hold`, { argv });
  const needsQuotes = w === '' || /\s/.test(w) || w.startsWith('"') || w.startsWith("'");
  if (!needsQuotes) return w;
  if (!w.includes('"')) return `"${w}"`;
  if (!w.includes("'")) return `'${w}'`;
  throw invalid(`command argument ${JSON.stringify(w)} has whitespace and both quote kinds; lxc.execute.cmd cannot carry it (use a script in the image)`, { argv });
}

/** lxc 5's split of `lxc.execute.cmd` (for tests and round-trip checks). */
export function splitLxcCommandLine(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i])) {
      i++;
      continue;
    }
    const q = s[i];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, i + 1);
      if (end < 0) {
        // lxc drops an unterminated quoted word.
        break;
      }
      out.push(s.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j])) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}
