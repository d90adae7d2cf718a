#!/usr/bin/env node
// Bundles the mosctl executable (src/cli/main.ts and everything it imports: the other @mos
// packages from source, npm dependencies included) into one CommonJS file, dist/mosctl.js, so a
// hostfs image needs node and this file, no node_modules. `mosctl boot` re-runs this same file
// as `mosctl supervise` (process.argv[1]), so the one file is the whole runtime.
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { bundle } = require('@mos/bundler');

const pkg = path.resolve(__dirname, '..');

// @mos/services loads its heavy entry points on first use through `load(path)`, a require with
// a variable path that a bundler cannot follow (and dist/ has no sibling files to load at run
// time). Turn each into a literal require, which esbuild bundles and still runs lazily. The
// build fails when the pattern is gone, so a change there cannot silently break the bundle.
const LAZY = /load<typeof import\('(\.\/[^']+)'\)>\('\1'\)/g;
const lazyRequires = {
  name: 'mos-lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]services[\\/]src[\\/]lazy\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      let n = 0;
      const contents = text.replace(LAZY, (_, p) => {
        n++;
        return `(require(${JSON.stringify(p)}) as typeof import(${JSON.stringify(p)}))`;
      });
      if (n === 0 || /\bload</.test(contents)) {
        return { errors: [{ text: `${args.path}: expected every load<typeof import('./x')>('./x') to become a literal require (${n} did)` }] };
      }
      return { contents, loader: 'ts' };
    });
  },
};

bundle({
  entry: { contents: "require('./src/cli/main').mosctl();\n", resolveDir: pkg },
  out: path.join(pkg, 'dist', 'mosctl.js'),
  siblings: ['trust', 'manifest', 'oci-store', 'atomfs', 'services', 'bringup'],
  plugins: [lazyRequires],
});
