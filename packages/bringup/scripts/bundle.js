#!/usr/bin/env node
// Bundles the bringup executable (src/main.ts and everything it imports) into dist/bringup.js,
// so the initramfs needs node and this one file.
'use strict';
const path = require('node:path');
const { bundle } = require('@mos/bundler');

const pkg = path.resolve(__dirname, '..');
bundle({ entry: path.join(pkg, 'src', 'main.ts'), out: path.join(pkg, 'dist', 'bringup.js'), siblings: ['trust', 'manifest', 'oci-store', 'atomfs'] });
