// The mos demo (README command 1), on a default embedded setup: everything happens under a
// temp dir that is removed at the end -- mounts unmounted, the registry stopped -- also when a
// step fails. It drives the real CLIs and prints each step as it goes. Needs root (mounts).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTree, cleanupMounts, httpGetIn, netnsPair, preserveSubids } from '@mos/test-utils';
import { Shell } from './shell';

const work = mkdtempSync(join(tmpdir(), 'mos-demo-'));
// Containers run as their nsgroup's uids: every directory above a root must be traversable.
chmodSync(work, 0o755);
const sh = new Shell(work, { ...process.env, MOS_KEYSETS_DIR: join(work, 'keys') });
const stops: (() => void)[] = [];
// The web service runs in an nsgroup: mos reserves root's subordinate ids for it; put them back after.
const restoreSubids = preserveSubids();

function trustChain(): { product: string } {
  sh.step('A release engineer creates a keyset: manifest CA, SUDI CA, UEFI/UKI/TPM keys and the project "default"');
  sh.run('trust', ['keyset', 'add', '--org', 'mos demo', 'demo']);
  const ks = join(work, 'keys', 'demo');
  const product = sh.run('trust', ['keyset', 'show', 'demo', 'manifest:default', 'uuid', '--value']).trim();
  sh.run('openssl', ['verify', '-CAfile', join(ks, 'manifest-ca', 'cert.pem'), join(ks, 'manifest', 'default', 'cert.pem')]);

  sh.step('Signed files verify against the manifest CA, openssl agrees, and tampering is caught');
  const file = join(work, 'note.json');
  writeFileSync(file, JSON.stringify({ product, note: 'any bytes can be signed' }));
  sh.run('trust', ['manifest', 'sign', '--keyset', 'demo', '--project', 'default', file]);
  const cert = join(ks, 'manifest', 'default', 'cert.pem');
  const ca = join(ks, 'manifest-ca', 'cert.pem');
  sh.run('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${file}.signed`, '--product', product, file]);
  execFileSync('sh', ['-c', `openssl x509 -in "${cert}" -pubkey -noout > "${work}/pub.pem"`]);
  sh.run('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', `${file}.signed`, file]);
  writeFileSync(join(work, 'tampered.json'), readFileSync(file, 'utf8').replace('any', 'ANY'));
  sh.run('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${file}.signed`, join(work, 'tampered.json')], true);
  sh.run('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${file}.signed`, '--product', 'another-product', file], true);
  return { product };
}

function buildImages(): string {
  sh.step('Build the images: squashfs layers with dm-verity data, from a busybox tree (atomfs build)');
  const tree = busyboxTree(join(work, 'busybox'), { 'etc/os-release': 'NAME="mos demo"\nVERSION="1.0"\n' });
  const tools = join(work, 'tools-layer');
  mkdirSync(join(tools, 'share'), { recursive: true });
  writeFileSync(join(tools, 'share', 'README'), 'the tools target, added by a partial update\n');
  const images = join(work, 'images');
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'hostfs-1.0', '--entrypoint', '/bin/sh', tree]);
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'tools-1.0', tools]);
  const web = join(work, 'web-layer');
  mkdirSync(join(web, 'www'), { recursive: true });
  writeFileSync(join(web, 'www', 'index.html'), 'hello from a mos service\n');
  writeFileSync(join(web, 'httpd.sh'), '#!/bin/sh\nexec httpd -f -p 80 -h /www\n', { mode: 0o755 });
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'web-1.0', '--entrypoint', '/httpd.sh', tree, web]);
  writeFileSync(join(web, 'www', 'index.html'), 'hello from version 1.1 of a mos service\n');
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'web-1.1', '--entrypoint', '/httpd.sh', tree, web]);
  // 1.2 is a broken release: its server refuses to start.
  writeFileSync(join(web, 'httpd.sh'), '#!/bin/sh\necho "web 1.2: /etc/web.conf missing, giving up" >&2\nexit 3\n', { mode: 0o755 });
  sh.run('atomfs', ['build', '--layout', images, '--tag', 'web-1.2', '--entrypoint', '/httpd.sh', tree, web]);
  return images;
}

async function startRegistry(): Promise<string> {
  sh.step('Start our registry (distribution API with referrers) on loopback');
  const { child, line } = await sh.start('mosctl', ['serve', '--root', join(work, 'registry'), '--addr', '127.0.0.1:0', '--json']);
  stops.push(() => child.kill('SIGTERM'));
  const address = JSON.parse(line).address as string;
  sh.say(`registry at ${address}`);
  return address;
}

function manifestYaml(product: string, updateType: string, targets: string): string {
  const file = join(work, `manifest-${updateType}.yaml`);
  writeFileSync(file, `version: 1\nproduct: ${product}\nupdate_type: ${updateType}\ntargets:\n${targets}`);
  sh.say(`${file}:`);
  for (const l of readFileSync(file, 'utf8').trimEnd().split('\n')) sh.say(`  ${l}`);
  return file;
}

async function main(): Promise<void> {
  console.log(`mos demo, working in ${work} ($DEMO)`);
  const { product } = trustChain();
  const images = buildImages();
  const registry = await startRegistry();

  sh.step('Publish a signed install manifest: images to mos:<hex>, install.json signed, with its referrers');
  const target = (name: string, tag: string, type: string) => `  - service_name: ${name}\n    source: oci:${images}:${tag}\n    version: 1.0.0\n    service_type: ${type}\n    network: {type: host}\n`;
  const v1 = manifestYaml(product, 'complete', target('hostfs', 'hostfs-1.0', 'hostfs'));
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/install:1.0', '--serial', '100', '--skip-bootkit', v1]);

  sh.step('Install it into a sandbox root: verified first, images imported, state committed');
  const root = join(work, 'root');
  for (const d of ['config', 'atomfs-store', 'scratch-writes', 'factory/secure']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(join(work, 'keys', 'demo', 'manifest-ca', 'cert.pem'), join(root, 'factory', 'secure', 'manifestCA.pem'));
  sh.run('mosctl', ['install', '--rfs', root, `${registry}/demo/install:1.0`]);

  sh.step('Mount hostfs read-only -- every layer verified against its root hash -- and look inside');
  const hostfs = join(root, 'mnt', 'hostfs');
  sh.run('mosctl', ['mount', '--rfs', root, '--readonly', '--dest', hostfs]);
  sh.run('cat', [join(hostfs, 'etc', 'os-release')]);
  sh.run('touch', [join(hostfs, 'etc', 'new-file')], true);
  sh.run('mosctl', ['status', '--rfs', root]);

  sh.step('Publish a partial update that adds an fs-only target, and apply it');
  const v2 = manifestYaml(product, 'partial', target('tools', 'tools-1.0', 'fs-only'));
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/install:1.1', '--serial', '110', '--skip-bootkit', v2]);
  sh.run('mosctl', ['update', '-r', root, `${registry}/demo/install:1.1`]);

  sh.step('Replay the older, validly signed 1.0 (serial 100) as an update: refused, the machine applied 110');
  sh.run('mosctl', ['update', '-r', root, `${registry}/demo/install:1.0`], true);
  const tools = join(root, 'mnt', 'tools');
  sh.run('mosctl', ['mount', '--rfs', root, '--target', 'tools', '--readonly', '--dest', tools]);
  sh.run('cat', [join(tools, 'share', 'README')]);
  sh.run('mosctl', ['status', '--rfs', root]);
  sh.run('git', ['-C', join(root, 'config', 'manifest.git'), 'log', '--format=%h %an <%ae> %s', 'master']);

  await services(root, registry, product, images);

  sh.step('Tear down');
  sh.run('mosctl', ['supervise', '--stop', '--rfs', root]);
  sh.run('mosctl', ['umount', tools]);
  sh.run('mosctl', ['umount', hostfs]);
}

/** Polls until `check` answers (a guard against a service that never comes up). */
async function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function services(root: string, registry: string, product: string, images: string): Promise<void> {
  sh.step('Add a web service: a busybox httpd container on a "simple" network with port 8080 forwarded');
  const yaml = manifestYaml(product, 'partial',
    `  - service_name: web\n    source: oci:${images}:web-1.0\n    version: 1.0.0\n    service_type: container\n    nsgroup: web\n    network: {type: simple, ports: [{host: 8080, container: 80}]}\n`);
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/install:1.2', '--serial', '120', '--skip-bootkit', yaml]);
  sh.run('mosctl', ['update', '-r', root, `${registry}/demo/install:1.2`]);

  sh.step('Boot the services: mos supervises them itself (no systemd needed)');
  // The service network lives in a network namespace the demo makes, never on this machine's own.
  const net = netnsPair('mos-demo');
  stops.push(net.remove);
  sh.say(`services network: namespace ${net.ns}; an outside client in ${net.client} reaches it at ${net.host}`);
  mkdirSync(join(root, 'etc', 'mos'), { recursive: true });
  writeFileSync(join(root, 'etc', 'mos', 'services.json'), JSON.stringify({ netns: net.ns }));
  stops.push(() => sh.quiet('mosctl', ['supervise', '--stop', '--rfs', root]));
  sh.run('mosctl', ['boot', '--rfs', root]);
  const url = `http://${net.host}:8080/`;
  sh.say(`GET ${url} from ${net.client}: ${(await waitFor('the page', () => httpGetIn(net.client, url))).trim()}`);

  sh.step('Kill the service\'s process: the supervisor restarts it');
  const pidOf = () => JSON.parse(sh.quiet('mosctl', ['services', '--rfs', root, '--json'])).services.find((s: { name: string }) => s.name === 'web');
  const before = pidOf();
  sh.run('kill', ['-9', String(before.pid)]);
  const after = await waitFor('the restart', () => {
    const s = pidOf();
    return s.state === 'running' && s.pid !== before.pid ? s : undefined;
  });
  sh.say(`web was pid ${before.pid}, now pid ${after.pid}, restarts ${after.restarts}`);
  sh.say(`GET ${url}: ${(await waitFor('the page again', () => httpGetIn(net.client, url))).trim()}`);
  sh.run('mosctl', ['services', '--rfs', root]);

  const webRelease = (version: string, tag: string, serial: number) => {
    const yaml = manifestYaml(product, 'partial',
      `  - service_name: web\n    source: oci:${images}:web-${version}\n    version: ${version}.0\n    service_type: container\n    nsgroup: web\n    network: {type: simple, ports: [{host: 8080, container: 80}]}\n`);
    sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', `demo/install:${tag}`, '--serial', String(serial), '--skip-bootkit', yaml]);
    return `${registry}/demo/install:${tag}`;
  };
  const lifecycle = () => JSON.parse(sh.quiet('mosctl', ['status', '--rfs', root, '--json']));
  const confirmed = async () => {
    const st = await waitFor('the state confirmed', () => {
      const s = lifecycle();
      return s.pending === undefined && s.confirmed?.commit === s.commit ? s : undefined;
    });
    sh.say(`state ${st.commit.slice(0, 12)} confirmed at ${st.confirmed.at} (${st.confirmed.by}: every container service ran healthy for the settle time)`);
  };

  sh.step('Stage web 1.1 (fetched, verified, imported; not current), then apply it: only the changed service restarts, and the new state is pending until it has run healthy');
  sh.run('mosctl', ['update', '--download-only', '-r', root, webRelease('1.1', '1.3', 130)]);
  sh.run('mosctl', ['update', '--apply', '-r', root, '--settle', '3s']);
  sh.say(`GET ${url}: ${(await waitFor('the 1.1 page', () => httpGetIn(net.client, url)?.match(/1\.1/)?.input)).trim()}`);
  await confirmed();

  sh.step('A broken release, web 1.2 (its server exits at start): the supervisor rolls back by itself at the deadline, saying why');
  sh.run('mosctl', ['update', '-r', root, webRelease('1.2', '1.4', 140), '--confirm-timeout', '10s', '--settle', '3s'], 'either');
  const rolled = await waitFor('the automatic rollback', () => {
    const s = lifecycle();
    return s.lastAutoRollback ? s : undefined;
  });
  sh.say(`rolled back by itself: ${rolled.lastAutoRollback.reason}`);
  sh.say(`GET ${url}: ${(await waitFor('the 1.1 page again', () => httpGetIn(net.client, url)?.match(/1\.1/)?.input)).trim()}`);
  await confirmed();
  sh.run('mosctl', ['status', '--rfs', root]);

  sh.step('Collect garbage: keep only the current state\'s images (web 1.0 and the broken 1.2 go)');
  sh.run('mosctl', ['gc', '--rfs', root, '--keep', '0']);

  sh.step('Deactivate it: the container, its root and its port forward are gone');
  sh.run('mosctl', ['deactivate', '-t', 'web', '--rfs', root]);
  sh.say(`GET ${url}: ${httpGetIn(net.client, url) === undefined ? 'refused, as it must be' : 'STILL ANSWERS'}`);
}

main()
  .then(() => console.log('\ndemo finished: every step behaved as expected'))
  .catch((e) => {
    console.error(`\ndemo failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const stop of stops) {
      try {
        stop();
      } catch (e) {
        console.error(`teardown: ${(e as Error).message}`);
      }
    }
    restoreSubids();
    const left = cleanupMounts(work);
    if (left.length) console.error(`cleaned up after a failed step: ${left.join(', ')}`);
    // MOS_DEMO_KEEP=1 keeps the files (not the mounts or processes) for a look afterwards.
    if (process.env.MOS_DEMO_KEEP === '1') console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });
