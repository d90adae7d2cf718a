// One way to bundle a mos executable into a single CommonJS file: the initramfs carries
// dist/bringup.js, a hostfs image dist/mosctl.js, and neither has node_modules. Sibling @mos
// packages come from source (as the tests map them); the output has no timestamps and no
// absolute paths, so the same sources give the same bytes.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const top = path.resolve(__dirname, '..', '..');
const src = (p, ...rest) => path.join(top, 'packages', p, 'src', ...rest);

/** `@mos/<p>` → its src/index.ts, plus the subpaths packages export. */
function siblingAliases(names) {
  const alias = Object.fromEntries(names.map((p) => [`@mos/${p}`, src(p, 'index.ts')]));
  if (names.includes('trust')) alias['@mos/trust/cli'] = src('trust', 'cli', 'index.ts');
  if (names.includes('oci-store')) alias['@mos/oci-store/server'] = src('oci-store', 'server', 'index.ts');
  return alias;
}

/**
 * Bundles `entry` (a file, or `{ contents, resolveDir }` for a one-line entry) into `out`.
 * Exits the process non-zero on a build error (this runs as a package's build step).
 * @param {{ entry: string | { contents: string, resolveDir: string }, out: string, siblings: string[], plugins?: import('esbuild').Plugin[] }} opts
 */
function bundle(opts) {
  const entry = typeof opts.entry === 'string' ? { entryPoints: [opts.entry] } : { stdin: { ...opts.entry, sourcefile: 'entry.js', loader: 'js' } };
  return esbuild
    .build({
      ...entry,
      outfile: opts.out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
      absWorkingDir: top,
      alias: siblingAliases(opts.siblings),
      plugins: opts.plugins ?? [],
      banner: { js: '#!/usr/bin/env node' },
    })
    .catch(() => process.exit(1));
}

module.exports = { bundle };
