#!/usr/bin/env node
// Runs Jest over every project (extra arguments are passed through) and prints, as the very
// last line, "N passed, N failed" -- the line CI reads. A suite that fails before any test
// runs (a compile error, a throwing beforeAll) counts as one failure so it cannot hide.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..', '..');
const out = path.join(top, 'reports', 'jest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });

const jest = require.resolve('jest/bin/jest', { paths: [top] });
const args = [jest, '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { cwd: top, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(out)) {
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
  for (const s of r.testResults) {
    const ran = s.assertionResults.some((a) => a.status === 'passed' || a.status === 'failed');
    if (s.status === 'failed' && !ran) {
      failed += 1;
      console.error(`suite failed before its tests ran: ${path.relative(top, s.name)}\n${s.message}`);
    }
  }
} else {
  failed = 1;
  console.error(`jest wrote no results (exit ${run.status}); counting the run as one failure`);
}
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
