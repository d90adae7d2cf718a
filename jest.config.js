// All packages in one run, so the summary counts every test once (tools/test-summary).
module.exports = { projects: ['<rootDir>/packages/*/jest.config.js', '<rootDir>/tools/*/jest.config.js'] };
