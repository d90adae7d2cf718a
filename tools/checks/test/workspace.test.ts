// The house rules of DESIGN.md as tests, so a change that breaks them fails CI instead of
// waiting for review: arrows only point down, every runtime import is declared, no relative
// import leaves its package, and every package has the publishable skeleton.
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const top = resolve(__dirname, '..', '..', '..');
const pkgs = readdirSync(join(top, 'packages')).filter((p) => existsSync(join(top, 'packages', p, 'package.json')));

/** DESIGN.md "The house": which @mos packages each package may import. */
const ALLOWED: Record<string, string[]> = {
  trust: [],
  'oci-store': [],
  manifest: ['trust', 'oci-store'],
  atomfs: ['oci-store'],
  services: ['manifest', 'atomfs', 'oci-store'],
  bringup: ['manifest', 'trust', 'oci-store', 'atomfs'],
  mosctl: ['manifest', 'trust', 'oci-store', 'atomfs', 'services', 'bringup'],
};

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : /\.ts$/.test(e) ? [p] : [];
  });
}

const IMPORT = /(?:from\s+|import\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g;
const pkgName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

describe.each(pkgs)('package %s', (pkg) => {
  const dir = join(top, 'packages', pkg);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

  test('is in the design and only imports what the design allows, declared in its package.json', () => {
    expect(Object.keys(ALLOWED)).toContain(pkg);
    const problems: string[] = [];
    const declared = new Set(Object.keys({ ...pj.dependencies, ...pj.peerDependencies }));
    for (const file of walk(join(dir, 'src'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const where = relative(top, file);
        if (spec.startsWith('.')) {
          if (relative(dir, resolve(dirname(file), spec)).startsWith('..')) problems.push(`${where}: relative import leaves the package: ${spec}`);
          continue;
        }
        if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
        const name = pkgName(spec);
        if (name.startsWith('@mos/') && name !== pj.name && !ALLOWED[pkg].includes(name.slice(5))) problems.push(`${where}: ${pkg} may not import ${name}`);
        if (!declared.has(name) && name !== pj.name) problems.push(`${where}: imports ${name}, not declared in dependencies`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('has the publishable skeleton: README, exports with types, files, engines, src/index.ts', () => {
    expect(pj.name).toBe(`@mos/${pkg}`);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    expect(existsSync(join(dir, 'src', 'index.ts'))).toBe(true);
    expect(pj.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pj.exports['./package.json']).toBe('./package.json');
    expect(pj.files).toContain('dist');
    expect(pj.engines?.node).toBeDefined();
    for (const [sub, target] of Object.entries(pj.exports as Record<string, unknown>)) {
      if (sub === '.' || sub === './package.json') continue;
      // Subpath rule shared with jest.preset.js: @mos/x/y <-> src/y/index.ts <-> dist/y/index.js
      expect(target).toEqual({ types: `./dist/${sub.slice(2)}/index.d.ts`, default: `./dist/${sub.slice(2)}/index.js` });
      expect(existsSync(join(dir, 'src', sub.slice(2), 'index.ts'))).toBe(true);
    }
    for (const bin of Object.values((pj.bin ?? {}) as Record<string, string>)) {
      expect(existsSync(join(dir, bin))).toBe(true);
      expect(pj.files).toContain(bin.split('/')[1]);
    }
  });
});
