module.exports = {
  ...require('../jest.preset.js')(__dirname),
  displayName: 'e2e',
  globalSetup: '<rootDir>/global-setup.ts',
  globalTeardown: '<rootDir>/global-teardown.ts',
};
