import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '@mos/trust/cli';
import { buildTrustBin, runTrust, runTrustBin, type CliResult } from '../helpers/cli';
import { openssl } from '../helpers/openssl';
import { opensslFingerprintAndSerial, opensslSign, opensslVerifySignature, Pki } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';
import { snapshot } from '../helpers/tree';

// The `trust` CLI in-process through its entry point (`trustMain`, what bin/trust.js calls),
// and a few runs of the real bin script as a subprocess. Keysets go to an explicit
// --keysets-dir (or MOS_KEYSETS_DIR for the subprocess), never under $HOME.

const tmp = tempDirs();
const KS = 'cli';
let ksRoot: string;
let ks: string;
let work: string;
let uuid: string;
let caPem: string;
let certPem: string;
let manifest: string;

const COMMANDS = [
  ['keyset', 'add'],
  ['keyset', 'list'],
  ['keyset', 'show'],
  ['project', 'add'],
  ['project', 'list'],
  ['sudi', 'add'],
  ['sudi', 'list'],
  ['manifest', 'sign'],
  ['manifest', 'verify'],
];

const oneLine = (s: string) => s.endsWith('\n') && s.split('\n').length === 2;
/** A failed run: its exit status and a one-line stderr, nothing on stdout. */
function expectFailure(r: CliResult, code: number, ...mentions: string[]) {
  expect({ code: r.code, stdout: r.stdout, oneLine: oneLine(r.stderr) }).toEqual({ code, stdout: '', oneLine: true });
  for (const m of mentions) expect(r.stderr).toContain(m);
}
const trust = (...argv: string[]) => runTrust(argv);
const verifyArgs = (file: string, ...extra: string[]) => ['manifest', 'verify', '--ca', caPem, '--cert', certPem, '--signature', `${file}.signed`, ...extra, file];

beforeAll(async () => {
  ksRoot = tmp();
  work = tmp();
  const r = await trust('keyset', 'add', '--keysets-dir', ksRoot, '--org', 'CLI Test Inc', KS);
  expect(r).toEqual({ code: 0, stdout: `created keyset ${KS} in ${join(ksRoot, KS)}\n`, stderr: '' });
  ks = join(ksRoot, KS);
  uuid = readFileSync(join(ks, 'manifest/default/uuid'), 'utf8').trim();
  caPem = join(ks, 'manifest-ca/cert.pem');
  certPem = join(ks, 'manifest/default/cert.pem');
  manifest = join(work, 'install.json');
  writeFileSync(manifest, JSON.stringify({ version: 1, product: uuid, update_type: 'complete', targets: [] }, null, 2) + '\n');
  // The signature the verify tests start from, made by openssl (`trust manifest sign` rewrites it
  // with the same bytes below).
  opensslSign(join(ks, 'manifest/default/privkey.pem'), manifest, `${manifest}.signed`);
});

describe('help and usage errors', () => {
  test.each(COMMANDS.map((w) => [w.join(' '), w]))('trust %s --help / -h: exit 0, usage on stdout', async (_label, words) => {
    for (const flag of ['--help', '-h']) {
      const r = await trust(...words, flag);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: trust ${words.join(' ')} `));
      expect(r.stdout).toContain('-h, --help');
    }
  });

  test('trust --help, trust with no arguments and trust keyset --help list the commands', async () => {
    for (const argv of [['--help'], [], ['-h']]) {
      const r = await trust(...argv);
      expect(r.code).toBe(0);
      for (const w of COMMANDS) expect(r.stdout).toContain(`  ${w.join(' ')} `);
    }
    const k = await trust('keyset', '--help');
    expect(k.code).toBe(0);
    expect(k.stdout).toContain('keyset show');
    expect(k.stdout).not.toContain('manifest sign');
  });

  test.each(COMMANDS.map((w) => [w.join(' '), w]))('trust %s --bogus: exit 2 with a one-line error', async (_label, words) => {
    const r = await trust(...words, '--bogus', 'x');
    expectFailure(r, EXIT.usage, '--bogus', `usage: trust ${words.join(' ')}`);
  });

  test('an unknown command: exit 2, one line', async () => {
    expectFailure(await trust('frobnicate'), EXIT.usage, 'frobnicate');
    expectFailure(await trust('keyset', 'frobnicate'), EXIT.usage, 'keyset frobnicate');
  });

  test('wrong number of arguments, missing or conflicting options: exit 2, one line', async () => {
    expectFailure(await trust('keyset', 'add', '--keysets-dir', ksRoot), EXIT.usage, 'expected 1 argument');
    expectFailure(await trust('project', 'add', '--keysets-dir', ksRoot, KS), EXIT.usage, 'expected 2 argument');
    expectFailure(await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--project', 'default', manifest), EXIT.usage, '--keyset is required');
    expectFailure(await trust('manifest', 'verify', '--ca', caPem, '--cert', certPem, manifest), EXIT.usage, '--signature is required');
    expectFailure(await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset'), EXIT.usage, '--keyset');
    expectFailure(await trust('keyset', 'show', '--keysets-dir', ksRoot, '--path', '--value', KS), EXIT.usage, '--path and --value');
  });

  test('an invalid name: exit 2, one line naming the check, nothing created', async () => {
    const snap = snapshot(ksRoot);
    for (const argv of [
      ['keyset', 'add', '--keysets-dir', ksRoot, '..'],
      ['keyset', 'add', '--keysets-dir', ksRoot, 'a/b'],
      ['keyset', 'add', '--keysets-dir', ksRoot, '--', '-x'],
      ['project', 'add', '--keysets-dir', ksRoot, KS, ''],
      ['sudi', 'add', '--keysets-dir', ksRoot, KS, 'default', '../../x'],
    ]) {
      expectFailure(await trust(...argv), EXIT.usage, 'invalid');
    }
    expect(snapshot(ksRoot)).toEqual(snap);
  });
});

describe('manifest sign / verify', () => {
  test('sign (default FILE.signed) then verify --product <uuid>: exit 0', async () => {
    rmSync(`${manifest}.signed`);
    const s = await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset', KS, '--project', 'default', manifest);
    expect(s).toEqual({ code: 0, stdout: `signed ${manifest} -> ${manifest}.signed\n`, stderr: '' });
    // Byte-identical to openssl's, and openssl verifies it.
    const key = join(ks, 'manifest/default/privkey.pem');
    expect(readFileSync(`${manifest}.signed`).equals(opensslSign(key, manifest, join(work, 'openssl.sig')))).toBe(true);
    const pub = join(work, 'default.pub');
    writeFileSync(pub, openssl(['x509', '-in', certPem, '-noout', '-pubkey']));
    expect(opensslVerifySignature(pub, `${manifest}.signed`, manifest)).toBe(true);

    const v = await trust(...verifyArgs(manifest, '--product', uuid));
    expect(v.code).toBe(0);
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe(`verified: ${manifest} signed by "manifest PRODUCT:${uuid}" under CA "Manifest rootCA" (${caPem})\n`);
  });

  test('-o SIG, and --json output', async () => {
    const sig = join(work, 'custom.sig');
    expect((await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset', KS, '--project', 'default', '-o', sig, manifest)).code).toBe(0);
    const r = await trust('manifest', 'verify', '--ca', caPem, '--cert', certPem, '--signature', sig, '--json', manifest);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, file: manifest, signer: `manifest PRODUCT:${uuid}`, product: uuid, ca: 'Manifest rootCA', caPath: caPem });
    expect(existsSync(`${sig}.tmp`)).toBe(false);
  });

  test('a tampered file: exit 3, stderr names bad-signature', async () => {
    const file = join(work, 'tampered.json');
    copyFileSync(manifest, file);
    copyFileSync(`${manifest}.signed`, `${file}.signed`);
    const bytes = readFileSync(file);
    bytes[10] ^= 0x01;
    writeFileSync(file, bytes);
    expectFailure(await trust(...verifyArgs(file, '--product', uuid)), EXIT.verification, 'bad-signature');
  });

  test('a truncated signature: exit 3, bad-signature', async () => {
    const file = join(work, 'truncated.json');
    copyFileSync(manifest, file);
    writeFileSync(`${file}.signed`, readFileSync(`${manifest}.signed`).subarray(0, 100));
    expectFailure(await trust(...verifyArgs(file)), EXIT.verification, 'bad-signature');
  });

  test('the wrong product: exit 3, stderr names product-mismatch', async () => {
    expectFailure(await trust(...verifyArgs(manifest, '--product', '00000000-0000-0000-0000-000000000000')), EXIT.verification, 'product-mismatch');
  });

  test('another CA: exit 3, unknown-issuer; garbage certificate: exit 3, bad-pem', async () => {
    const pki = new Pki(join(work, 'pki'));
    const other = pki.root('other-ca');
    expectFailure(await trust('manifest', 'verify', '--ca', other.cert, '--cert', certPem, '--signature', `${manifest}.signed`, manifest), EXIT.verification, 'unknown-issuer');
    const garbage = join(work, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n');
    expectFailure(await trust('manifest', 'verify', '--ca', caPem, '--cert', garbage, '--signature', `${manifest}.signed`, manifest), EXIT.verification, 'bad-pem');
  });

  test('--revoked FILE with the certificate listed: exit 3, revoked', async () => {
    const revoked = join(work, 'list.revoked');
    writeFileSync(revoked, `${opensslFingerprintAndSerial(certPem).fingerprint}\n`);
    expectFailure(await trust(...verifyArgs(manifest, '--revoked', revoked)), EXIT.verification, 'revoked');
  });

  test('--root R finds R/factory/secure/manifestCA.pem; a root without a CA: exit 4, no-ca', async () => {
    const root = tmp();
    const noCa = ['manifest', 'verify', '--root', root, '--cert', certPem, '--signature', `${manifest}.signed`, manifest];
    expectFailure(await trust(...noCa), EXIT.notFound, 'no manifest CA');
    mkdirSync(join(root, 'factory/secure'), { recursive: true });
    copyFileSync(caPem, join(root, 'factory/secure/manifestCA.pem'));
    const r = await trust(...noCa);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(join(root, 'factory/secure/manifestCA.pem'));
  });

  test('a missing keyset, project or file: exit 4', async () => {
    expectFailure(await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset', 'nope', '--project', 'default', manifest), EXIT.notFound, 'nope');
    expectFailure(await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset', KS, '--project', 'nope', manifest), EXIT.notFound, 'nope');
    expectFailure(await trust('manifest', 'sign', '--keysets-dir', ksRoot, '--keyset', KS, '--project', 'default', join(work, 'missing.json')), EXIT.notFound);
    expectFailure(await trust(...verifyArgs(join(work, 'missing.json'))), EXIT.notFound);
    expectFailure(await trust('manifest', 'verify', '--ca', join(work, 'no-ca.pem'), '--cert', certPem, '--signature', `${manifest}.signed`, manifest), EXIT.notFound);
  });
});

describe('keysets, projects and SUDIs', () => {
  test('keyset list', async () => {
    expect(await trust('keyset', 'list', '--keysets-dir', ksRoot)).toEqual({ code: 0, stdout: `${KS}\n`, stderr: '' });
  });

  test('a missing keyset: exit 4', async () => {
    expectFailure(await trust('keyset', 'show', '--keysets-dir', ksRoot, 'nope'), EXIT.notFound, 'nope');
    expectFailure(await trust('project', 'add', '--keysets-dir', ksRoot, 'nope', 'p'), EXIT.notFound, 'nope');
    expectFailure(await trust('project', 'list', '--keysets-dir', ksRoot, 'nope'), EXIT.notFound, 'nope');
    expectFailure(await trust('sudi', 'list', '--keysets-dir', ksRoot, KS, 'nope'), EXIT.notFound, 'nope');
  });

  test('an existing keyset, project or SUDI: exit 5, nothing changed', async () => {
    expect((await trust('sudi', 'add', '--keysets-dir', ksRoot, KS, 'default', 'SN0001')).code).toBe(0);
    const snap = snapshot(ksRoot);
    expectFailure(await trust('keyset', 'add', '--keysets-dir', ksRoot, KS), EXIT.exists, 'exists');
    expectFailure(await trust('project', 'add', '--keysets-dir', ksRoot, KS, 'default'), EXIT.exists, 'exists');
    expectFailure(await trust('sudi', 'add', '--keysets-dir', ksRoot, KS, 'default', 'SN0001'), EXIT.exists, 'exists');
    expect(snapshot(ksRoot)).toEqual(snap);
  });

  test('keyset show: listing, --path and --value', async () => {
    const show = (...a: string[]) => trust('keyset', 'show', '--keysets-dir', ksRoot, ...a);
    const all = await show(KS);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n')).toEqual(expect.arrayContaining(['manifest-ca/cert.pem', 'manifest/default/uuid', 'uefi-kek/guid']));
    expect(await show(KS, 'manifest:default', 'uuid', '--value')).toEqual({ code: 0, stdout: `${uuid}\n`, stderr: '' });
    expect(await show('--value', KS, 'manifest:default', 'uuid')).toEqual({ code: 0, stdout: `${uuid}\n`, stderr: '' });
    expect(await show(KS, 'manifest:default', 'uuid', '--path')).toEqual({ code: 0, stdout: `${join(ks, 'manifest/default/uuid')}\n`, stderr: '' });
    expect(await show(KS, 'manifest-ca', '--path')).toEqual({ code: 0, stdout: `${join(ks, 'manifest-ca')}\n`, stderr: '' });
    expect(await show(KS, 'manifest-ca')).toEqual({ code: 0, stdout: 'cert.pem\nprivkey.pem\n', stderr: '' });
    expect((await show(KS, 'manifest-ca', 'cert.pem', '--value')).stdout).toBe(readFileSync(caPem, 'utf8'));
    expect((await show(KS, '--path')).stdout.split('\n')).toContain(join(ks, 'uefi-pk'));
    expectFailure(await show(KS, 'manifest-ca', 'guid'), EXIT.notFound, 'guid');
    expectFailure(await show(KS, 'nokey'), EXIT.usage, 'nokey');
    expectFailure(await show(KS, 'manifest-ca', '../uefi-pk/privkey.pem', '--value'), EXIT.usage, 'invalid');
  });
});

describe('the real bin as a subprocess (built from the current source)', () => {
  let bin: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    bin = buildTrustBin(tmp());
    env = { MOS_KEYSETS_DIR: ksRoot };
  });

  test('trust --help and trust manifest verify --help: exit 0', () => {
    const r = runTrustBin(bin, ['--help']);
    expect(r.code).toBe(0);
    for (const w of COMMANDS) expect(r.stdout).toContain(w.join(' '));
    expect(runTrustBin(bin, ['manifest', 'verify', '--help'])).toMatchObject({ code: 0, stderr: '' });
  });

  test('manifest sign (keysets from MOS_KEYSETS_DIR) then verify --product: exit 0; tampered: exit 3 naming bad-signature', () => {
    const file = join(work, 'bin-install.json');
    copyFileSync(manifest, file);
    expect(runTrustBin(bin, ['manifest', 'sign', '--keyset', KS, '--project', 'default', file], env)).toEqual({
      code: 0,
      stdout: `signed ${file} -> ${file}.signed\n`,
      stderr: '',
    });
    expect(runTrustBin(bin, verifyArgs(file, '--product', uuid))).toMatchObject({ code: 0, stderr: '' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('complete', 'partial'));
    const bad = runTrustBin(bin, verifyArgs(file, '--product', uuid));
    expectFailure(bad, 3, 'bad-signature');
    expect(bad.stderr).toMatch(/^trust manifest verify: verification failed \(bad-signature\): /);
  });

  test('an unknown flag: exit 2, one line; a missing keyset: exit 4', () => {
    expectFailure(runTrustBin(bin, ['keyset', 'list', '--bogus']), 2, '--bogus');
    expectFailure(runTrustBin(bin, ['project', 'list', 'nope'], env), 4, 'nope');
  });
});
