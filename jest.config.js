// All packages in one run, so the summary counts every test once (tools/test-summary).
// testTimeout is a global option under `projects` (a project's own value is ignored here).
// It is a hang guard for a stuck mount or child process, not a performance assertion.
module.exports = {
  projects: ['<rootDir>/packages/*/jest.config.js', '<rootDir>/tools/*/jest.config.js', '<rootDir>/e2e/jest.config.js'],
  testTimeout: 600_000,
};
