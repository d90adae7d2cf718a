const { readFileSync } = require('node:fs');

const read = (f) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

module.exports = async () => {
  globalThis.__MOS_SUBIDS__ = { '/etc/subuid': read('/etc/subuid'), '/etc/subgid': read('/etc/subgid') };
};
