// The preset plus a global setup/teardown pair: containers in a user namespace need root's
// subordinate id ranges (lxc insists when shadow's newuidmap is installed), which the service
// runtime reserves in /etc/subuid and /etc/subgid as a host would; the teardown removes the
// lines this test run added, so the machine is left as it was.
const base = require('../../jest.preset.js')(__dirname);

module.exports = {
  ...base,
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
};
