import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupMounts, runBin, runOk, treeSnapshot } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// mos-original §5.2, install.bats, plus the rejections of issue 5: each leaves the root as it was.
let w: World;
let root: string;

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => stopWorld(w));
beforeEach(() => {
  root = makeRoot(w);
});
afterEach(() => {
  cleanupMounts(root);
});

const mosctl = (...args: string[]) => runBin('mosctl', args, { env: w.env });

describe('mosb manifest publish', () => {
  test('publishes images to mos:<hex> and the signed install artifact; twice works too', async () => {
    const url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'puzzleos/install:1.0.0');
    const data = join(w.registry.dir, 'data', 'docker', 'registry', 'v2', 'repositories');
    expect(readdirSync(join(data, 'mos', '_manifests', 'tags')).some((t) => /^[0-9a-f]{64}$/.test(t))).toBe(true);
    const tags = readdirSync(join(data, 'puzzleos', 'install', '_manifests', 'tags'));
    expect(tags).toContain('1.0.0');
    // docker-registry has no referrers API: the referrers live in the sha256-<hex> fallback index.
    expect(tags.some((t) => /^sha256-[0-9a-f]{64}$/.test(t))).toBe(true);
    await publishYaml(w, installYaml(w, 'hostfsonly'), 'puzzleos/install:1.0.0');
    expect(url).toBe(`${w.registry.host}/puzzleos/install:1.0.0`);
  });

  test('without --skip-bootkit: no hostfs target is an error that says what to do; no bootkit target a warning', async () => {
    const dir = w.dirs.make('mos-e2e-yaml-');
    const publish = (file: string) => runBin('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', w.registry.host, '--name', 'x/y:1', file], { env: w.env });
    writeFileSync(join(dir, 'livecd.yaml'), installYaml(w, 'livecd'));
    const noHostfs = await publish(join(dir, 'livecd.yaml'));
    expect(noHostfs.code).not.toBe(0);
    expect(noHostfs.stderr).toMatch(/no hostfs target: add a hostfs target .*, or pass --skip-bootkit/);
    writeFileSync(join(dir, 'hostfs.yaml'), installYaml(w, 'hostfsonly'));
    const withHostfs = await publish(join(dir, 'hostfs.yaml'));
    expect(withHostfs.code).toBe(0);
    expect(withHostfs.stderr).toMatch(/warning: no bootkit target added: keyset e2e has no bootkit yet \(run: mosb bootkit build --keyset e2e --kernel DIR\)/);
  });
});

describe('mosctl install', () => {
  test('publish and install (good_install hostfsonly): store, manifest.git, git reads it', async () => {
    const url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:1.0.0');
    await runOk('mosctl', ['install', '--rfs', root, url], { env: w.env });
    expect(existsSync(join(root, 'atomfs-store', 'mos', 'index.json'))).toBe(true);
    const repo = join(root, 'config', 'manifest.git');
    const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' });
    expect(git('log', '--format=%an <%ae>|%s', 'master').trim()).toBe('machine <root@machine.local>|Initial commit');
    expect(git('ls-tree', '--name-only', 'master').trim().split('\n')).toHaveLength(4);
    git('fsck', '--strict');
  });

  test('a second install says "already installed" and changes nothing', async () => {
    const url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:1.0.0');
    await runOk('mosctl', ['install', '--rfs', root, url], { env: w.env });
    const before = treeSnapshot(root);
    const r = await mosctl('install', '--rfs', root, url);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/already installed/);
    expect(treeSnapshot(root)).toEqual(before);
  });

  test('a manifest for another product (signed with our key) is refused before anything is written', async () => {
    const url = await publishYaml(w, installYaml(w, 'hostfsonly', { product: 'another-product' }), 'machine/install:other');
    const before = treeSnapshot(root);
    const r = await mosctl('install', '--rfs', root, url);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/product-mismatch/);
    expect(treeSnapshot(root)).toEqual(before);
  });

  test('a partial manifest cannot be installed', async () => {
    const url = await publishYaml(w, installYaml(w, 'hostfsonly', { updateType: 'partial' }), 'machine/install:partial');
    const before = treeSnapshot(root);
    const r = await mosctl('install', '--rfs', root, url);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/partial/);
    expect(treeSnapshot(root)).toEqual(before);
  });

  test('missing CA, config dir or store dir: each its own message', async () => {
    const url = `${w.registry.host}/machine/install:1.0.0`;
    const noCa = makeRoot(w);
    rmSync(join(noCa, 'factory'), { recursive: true });
    expect((await mosctl('install', '--rfs', noCa, url)).stderr).toMatch(/manifest CA/);
    const noConfig = makeRoot(w);
    rmSync(join(noConfig, 'config'), { recursive: true });
    expect((await mosctl('install', '--rfs', noConfig, url)).stderr).toMatch(/configuration directory/);
    const noStore = makeRoot(w);
    rmSync(join(noStore, 'atomfs-store'), { recursive: true });
    expect((await mosctl('install', '--rfs', noStore, url)).stderr).toMatch(/image store directory/);
  });

  test('no URL: a usage error', async () => {
    const r = await mosctl('install', '--rfs', root);
    expect(r.code).toBe(2);
  });
});
