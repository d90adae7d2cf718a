#!/usr/bin/env node
// Bundles the bringup executable (src/main.ts and everything it imports, other @mos packages
// and npm dependencies included) into one CommonJS file, dist/bringup.js, so the initramfs
// needs node and this file, no node_modules. Deterministic: no timestamps, no absolute paths.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const pkg = path.resolve(__dirname, '..');
const top = path.resolve(pkg, '..', '..');

esbuild
  .build({
    entryPoints: [path.join(pkg, 'src', 'main.ts')],
    outfile: path.join(pkg, 'dist', 'bringup.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: top,
    // Sibling packages from source, as the tests map them.
    alias: {
      ...Object.fromEntries(['trust', 'manifest', 'oci-store', 'atomfs'].map((p) => [`@mos/${p}`, path.join(top, 'packages', p, 'src', 'index.ts')])),
      '@mos/oci-store/server': path.join(top, 'packages', 'oci-store', 'src', 'server', 'index.ts'),
    },
    banner: { js: '#!/usr/bin/env node' },
  })
  .catch(() => process.exit(1));
