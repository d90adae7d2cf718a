// The mos demo: everything happens under a temp dir that is removed at the end. It drives the
// real CLIs (`trust`) and the libraries, and prints each step as it goes.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HOST_POLICY, initState, loadInstallManifest, loadVerifiedState, systemForInstall } from '@mos/manifest';

const top = resolve(__dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'mos-demo-'));
const env = { ...process.env, MOS_KEYSETS_DIR: join(work, 'keys') };

const step = (s: string) => console.log(`\n==> ${s}`);
function show(cmd: string, args: string[], expectFail = false): string {
  console.log(`$ ${[cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ').replaceAll(work, '$DEMO')}`);
  const bin = { trust: join(top, 'packages', 'trust', 'bin', 'trust.js') }[cmd];
  const r = bin ? spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' }) : spawnSync(cmd, args, { env, encoding: 'utf8' });
  const out = (r.stdout + r.stderr).replaceAll(work, '$DEMO').trimEnd();
  if (out) console.log(out.split('\n').map((l) => `  ${l}`).join('\n'));
  if (expectFail !== (r.status !== 0)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}, expected ${expectFail ? 'a failure' : 'success'}`);
  if (expectFail) console.log(`  (rejected, exit ${r.status}, as it must be)`);
  return r.stdout;
}

async function main(): Promise<void> {
  console.log(`mos demo, working in ${work} ($DEMO)`);

  step('A release engineer creates a keyset: manifest CA, SUDI CA, UEFI/UKI/TPM keys and the project "default"');
  show('trust', ['keyset', 'add', '--org', 'mos demo', 'demo']);
  const ks = join(work, 'keys', 'demo');
  const product = show('trust', ['keyset', 'show', 'demo', 'manifest:default', 'uuid', '--value']).trim();
  show('openssl', ['verify', '-CAfile', join(ks, 'manifest-ca', 'cert.pem'), join(ks, 'manifest', 'default', 'cert.pem')]);

  step(`...writes an install manifest for product ${product} and signs it`);
  const manifest = {
    version: 1,
    product,
    storage: [{ label: 'web-data', persistent: true, nsgroup: 'web', size: 64 }],
    targets: [
      { service_name: 'hostfs', version: '1.0.0', service_type: 'hostfs', network: { type: 'host' }, nsgroup: '', digest: 'sha256:' + 'a'.repeat(64), size: 528, storage: null },
      {
        service_name: 'web', version: '1.0.0', service_type: 'container', nsgroup: 'web',
        network: { type: 'simple', ipv4: '10.0.3.99/24', ipv6: '', ports: [{ host: 8080, container: 80 }] },
        digest: 'sha256:' + 'b'.repeat(64), size: 612, storage: [{ dest: '/srv', label: 'web-data' }],
      },
    ],
    update_type: 'complete',
  };
  const file = join(work, 'install.json');
  writeFileSync(file, JSON.stringify(manifest));
  show('trust', ['manifest', 'sign', '--keyset', 'demo', '--project', 'default', file]);
  const cert = join(ks, 'manifest', 'default', 'cert.pem');
  const ca = join(ks, 'manifest-ca', 'cert.pem');

  step('Any host verifies it against the manifest CA -- and openssl agrees');
  show('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${file}.signed`, '--product', product, file]);
  execFileSync('sh', ['-c', `openssl x509 -in "${cert}" -pubkey -noout > "${work}/pub.pem"`]);
  show('openssl', ['dgst', '-sha256', '-verify', join(work, 'pub.pem'), '-signature', `${file}.signed`, file]);

  step('A tampered copy is rejected');
  const tampered = join(work, 'tampered.json');
  writeFileSync(tampered, readFileSync(file, 'utf8').replace('"1.0.0"', '"6.6.6"'));
  show('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${file}.signed`, tampered], true);

  step("A manifest for another product, signed with this product's key, is rejected");
  const wrong = join(work, 'wrong-product.json');
  writeFileSync(wrong, JSON.stringify({ ...manifest, product: 'another-product' }));
  show('trust', ['manifest', 'sign', '--keyset', 'demo', '--project', 'default', wrong]);
  show('trust', ['manifest', 'verify', '--ca', ca, '--cert', cert, '--signature', `${wrong}.signed`, '--product', 'another-product', wrong], true);

  step('A host stores the verified state in R/config/manifest.git');
  const root = join(work, 'root');
  mkdirSync(join(root, 'factory', 'secure'), { recursive: true });
  copyFileSync(ca, join(root, 'factory', 'secure', 'manifestCA.pem'));
  const parsed = loadInstallManifest(readFileSync(file));
  const signed = { sha256: parsed.sha256, json: parsed.raw, signature: readFileSync(`${file}.signed`), certificate: readFileSync(cert) };
  const system = systemForInstall({ sha256: parsed.sha256, manifest: parsed.manifest }, HOST_POLICY);
  await initState({ configDir: join(root, 'config'), state: { system, installs: [signed] } });
  const state = await loadVerifiedState({ root });
  console.log(`  verified state: commit ${state.commit.slice(0, 12)}, product ${state.product}, CA ${state.caPath.replaceAll(work, '$DEMO')}`);
  for (const t of state.targets) console.log(`  target ${t.name.padEnd(8)} ${t.target.service_type.padEnd(10)} ${t.target.version} ${t.target.digest.slice(0, 19)}...`);
  const repo = join(root, 'config', 'manifest.git');
  show('git', ['-C', repo, 'log', '--format=%h %an <%ae> %s', 'master']);
  show('git', ['-C', repo, 'ls-tree', '--name-only', 'master']);
  show('git', ['-C', repo, 'show', 'master:manifest.json']);
  show('git', ['-C', repo, 'fsck', '--strict']);
}

main()
  .then(() => console.log('\ndemo finished: all steps behaved as expected'))
  .catch((e) => {
    console.error(`\ndemo failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
