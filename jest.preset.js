// Shared Jest settings for every package. Tests import sibling packages by name; the
// mapper points those names at source so `nx test` does not need a build first.
// testTimeout is a hang guard only (a stuck mount or child process), never a performance
// assertion: we do not put wall-clock limits in tests.
const path = require('node:path');
const top = __dirname;

module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(dir, 'tsconfig.json') }] },
  moduleNameMapper: {
    '^@mos/test-utils$': path.join(top, 'tools', 'test-utils', 'src', 'index.ts'),
    '^@mos/([^/]+)$': path.join(top, 'packages', '$1', 'src', 'index.ts'),
    '^@mos/([^/]+)/([^/]+)$': path.join(top, 'packages', '$1', 'src', '$2', 'index.ts'),
  },
  testTimeout: 600_000,
});
