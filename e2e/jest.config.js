module.exports = { ...require('../jest.preset.js')(__dirname), displayName: 'e2e' };
