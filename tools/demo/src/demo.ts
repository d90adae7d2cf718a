// The mos demo (README command 1), on a default embedded setup: everything happens under a
// temp dir that is removed at the end -- mounts unmounted, the registry stopped -- also when a
// step fails. It drives the real CLIs and prints each step as it goes. Needs root (mounts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTree, cleanupMounts } from '@mos/test-utils';
import { Shell } from './shell';

const work = mkdtempSync(join(tmpdir(), 'mos-demo-'));
const sh = new Shell(work, { ...process.env, MOS_KEYSETS_DIR: join(work, 'keys') });
const stops: (() => void)[] = [];

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
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/install:1.0', '--skip-bootkit', v1]);

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
  sh.run('mosb', ['manifest', 'publish', '--project', 'demo:default', '--repo', registry, '--name', 'demo/install:1.1', '--skip-bootkit', v2]);
  sh.run('mosctl', ['update', '-r', root, `${registry}/demo/install:1.1`]);
  const tools = join(root, 'mnt', 'tools');
  sh.run('mosctl', ['mount', '--rfs', root, '--target', 'tools', '--readonly', '--dest', tools]);
  sh.run('cat', [join(tools, 'share', 'README')]);
  sh.run('mosctl', ['status', '--rfs', root]);
  sh.run('git', ['-C', join(root, 'config', 'manifest.git'), 'log', '--format=%h %an <%ae> %s', 'master']);

  sh.step('Tear down');
  sh.run('mosctl', ['umount', tools]);
  sh.run('mosctl', ['umount', hostfs]);
}

main()
  .then(() => console.log('\ndemo finished: every step behaved as expected'))
  .catch((e) => {
    console.error(`\ndemo failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const stop of stops) stop();
    const left = cleanupMounts(work);
    if (left.length) console.error(`cleaned up after a failed step: ${left.join(', ')}`);
    rmSync(work, { recursive: true, force: true });
  });
