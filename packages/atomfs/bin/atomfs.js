#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  process.stderr.write('atomfs: @mos/atomfs is not built; run ./scripts/setup (or npm run build) first\n');
  process.exit(1);
}
cli.main();
