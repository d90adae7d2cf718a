const { readFileSync, writeFileSync } = require('node:fs');

module.exports = async () => {
  const before = globalThis.__MOS_SUBIDS__;
  if (!before) return;
  for (const [file, text] of Object.entries(before)) {
    let now;
    try {
      now = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const had = new Set(text.split('\n'));
    const kept = now.split('\n').filter((l) => had.has(l));
    if (kept.join('\n') !== now) writeFileSync(file, kept.join('\n'));
  }
};
