import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signDetached, signFile, verifyDetached, verifyFile } from '@mos/trust';
import { codeAndCheck, trustErrorOf, trustErrorOfSync } from '../helpers/errors';
import { openssl } from '../helpers/openssl';
import { opensslSign, opensslVerifySignature, Pki, type KeyKind } from '../helpers/pki';
import { tempDirs } from '../helpers/tmp';

// openssl is the oracle: signatures made by `openssl dgst -sha256 -sign` must verify here,
// and ours must verify with `openssl dgst -sha256 -verify`, for RSA-2048 and EC P-256.

const tmp = tempDirs();
let pki: Pki;
let dir: string;
let file: string;
let data: Buffer;

beforeAll(() => {
  dir = tmp();
  pki = new Pki(join(dir, 'pki'));
  file = join(dir, 'install.json');
  data = Buffer.from(JSON.stringify({ version: 1, product: 'de6c82c5-2e01-4c92-949b-a6545d30fc06', targets: [] }, null, 2) + '\n');
  writeFileSync(file, data);
});

const flipByte = (b: Buffer, at = Math.floor(b.length / 2)) => {
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
};

describe.each<[string, KeyKind, number]>([
  ['RSA-2048', 'rsa2048', 256],
  ['EC P-256', 'ec256', 0],
])('%s', (_label, kind, rsaSigLength) => {
  let key: string;
  let pub: string;
  let cert: string;

  beforeAll(() => {
    key = pki.key(`signer-${kind}`, kind);
    pub = pki.publicKey(`signer-${kind}`, key);
    cert = pki.root(`cert-${kind}`, { key }).cert;
  });

  test('openssl dgst -sign → verifyDetached and verifyFile (with the public key and with the certificate)', async () => {
    const sig = opensslSign(key, file, join(dir, `openssl-${kind}.sig`));
    if (rsaSigLength) expect(sig).toHaveLength(rsaSigLength);
    expect(() => verifyDetached({ data, signature: sig, key: readFileSync(pub) })).not.toThrow();
    expect(() => verifyDetached({ data, signature: sig, key: readFileSync(cert, 'utf8') })).not.toThrow();
    await expect(verifyFile({ path: file, signature: sig, key: readFileSync(pub) })).resolves.toBeUndefined();
  });

  test('signDetached / signFile → openssl dgst -verify', async () => {
    const sigFile = join(dir, `ours-${kind}.sig`);
    writeFileSync(sigFile, signDetached({ data, key: readFileSync(key) }));
    expect(opensslVerifySignature(pub, sigFile, file)).toBe(true);
    writeFileSync(sigFile, await signFile({ path: file, key: readFileSync(key, 'utf8') }));
    expect(opensslVerifySignature(pub, sigFile, file)).toBe(true);
  });

  test('the oracle itself rejects what we reject: a signature over other data', () => {
    const sigFile = join(dir, `ours-other-${kind}.sig`);
    writeFileSync(sigFile, signDetached({ data: flipByte(data), key: readFileSync(key) }));
    expect(opensslVerifySignature(pub, sigFile, file)).toBe(false);
  });

  test('a flipped byte in the data → ERR_TRUST_BAD_SIGNATURE', async () => {
    const sig = opensslSign(key, file, join(dir, `flip-${kind}.sig`));
    const e = trustErrorOfSync(() => verifyDetached({ data: flipByte(data), signature: sig, key: readFileSync(pub) }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_SIGNATURE', check: 'bad-signature' });
    const tampered = join(dir, `tampered-${kind}.json`);
    writeFileSync(tampered, flipByte(data, 3));
    const e2 = await trustErrorOf(() => verifyFile({ path: tampered, signature: sig, key: readFileSync(pub) }));
    expect(e2.code).toBe('ERR_TRUST_BAD_SIGNATURE');
  });

  test.each([
    ['truncated', (s: Buffer) => s.subarray(0, s.length - 1)],
    ['half', (s: Buffer) => s.subarray(0, s.length >> 1)],
    ['empty', () => Buffer.alloc(0)],
    ['garbage ("fooled ya")', () => Buffer.from('fooled ya\n')],
    ['random bytes of the right length', (s: Buffer) => Buffer.from(s.map((_, i) => (i * 37 + 11) & 0xff))],
    ['one flipped bit', (s: Buffer) => flipByte(s, s.length - 5)],
  ])('signature %s → ERR_TRUST_BAD_SIGNATURE', async (_what, mangle) => {
    const sig = mangle(opensslSign(key, file, join(dir, `mangle-${kind}.sig`)));
    const e = trustErrorOfSync(() => verifyDetached({ data, signature: sig, key: readFileSync(pub) }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_SIGNATURE', check: 'bad-signature' });
    const e2 = await trustErrorOf(() => verifyFile({ path: file, signature: sig, key: readFileSync(pub) }));
    expect(e2.code).toBe('ERR_TRUST_BAD_SIGNATURE');
  });

  test('the wrong key → ERR_TRUST_BAD_SIGNATURE', () => {
    const other = pki.publicKey(`other-${kind}`, pki.key(`other-${kind}`, kind));
    const sig = opensslSign(key, file, join(dir, `wrongkey-${kind}.sig`));
    const e = trustErrorOfSync(() => verifyDetached({ data, signature: sig, key: readFileSync(other) }));
    expect(e.code).toBe('ERR_TRUST_BAD_SIGNATURE');
  });
});

test('RSA signatures are byte-identical to openssl dgst -sha256 -sign (PKCS#1 v1.5 is deterministic)', async () => {
  const key = pki.key('rsa-identical', 'rsa2048');
  const theirs = opensslSign(key, file, join(dir, 'identical.sig'));
  expect(signDetached({ data, key: readFileSync(key) }).equals(theirs)).toBe(true);
  expect((await signFile({ path: file, key: readFileSync(key) })).equals(theirs)).toBe(true);
});

test('a traditional (PKCS#1) RSA private key signs too', () => {
  const key = pki.key('rsa-traditional', 'rsa2048');
  const trad = join(dir, 'rsa-traditional-pkcs1.key');
  openssl(['pkey', '-in', key, '-traditional', '-out', trad]);
  expect(readFileSync(trad, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  expect(signDetached({ data, key: readFileSync(trad) }).equals(opensslSign(key, file, join(dir, 'trad.sig')))).toBe(true);
});

describe.each<[string, KeyKind]>([
  ['RSA-1024', 'rsa1024'],
  ['EC P-384', 'ec384'],
])('%s keys are refused', (_label, kind) => {
  let key: string;
  let pub: string;
  beforeAll(() => {
    key = pki.key(`weak-${kind}`, kind);
    pub = pki.publicKey(`weak-${kind}`, key);
  });

  test('for signing → ERR_TRUST_UNSUPPORTED_KEY', async () => {
    const e = trustErrorOfSync(() => signDetached({ data, key: readFileSync(key) }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_UNSUPPORTED_KEY', check: 'unsupported-key' });
    expect((await trustErrorOf(() => signFile({ path: file, key: readFileSync(key) }))).code).toBe('ERR_TRUST_UNSUPPORTED_KEY');
  });

  test('for verifying, even when openssl made a valid signature → ERR_TRUST_UNSUPPORTED_KEY', async () => {
    const sig = opensslSign(key, file, join(dir, `weak-${kind}.sig`));
    expect(opensslVerifySignature(pub, join(dir, `weak-${kind}.sig`), file)).toBe(true);
    const e = trustErrorOfSync(() => verifyDetached({ data, signature: sig, key: readFileSync(pub) }));
    expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_UNSUPPORTED_KEY', check: 'unsupported-key' });
    expect((await trustErrorOf(() => verifyFile({ path: file, signature: sig, key: readFileSync(pub) }))).code).toBe('ERR_TRUST_UNSUPPORTED_KEY');
  });
});

test('an Ed25519 key is refused (only RSA and P-256)', () => {
  const key = join(dir, 'ed.key');
  openssl(['genpkey', '-algorithm', 'ED25519', '-out', key]);
  expect(trustErrorOfSync(() => signDetached({ data, key: readFileSync(key) })).code).toBe('ERR_TRUST_UNSUPPORTED_KEY');
});

test('a key that is not PEM → ERR_TRUST_BAD_PEM', () => {
  const e = trustErrorOfSync(() => signDetached({ data, key: Buffer.from('not a key') }));
  expect(codeAndCheck(e)).toEqual({ code: 'ERR_TRUST_BAD_PEM', check: 'bad-pem' });
  const e2 = trustErrorOfSync(() => verifyDetached({ data, signature: Buffer.alloc(256), key: 'garbage' }));
  expect(e2.code).toBe('ERR_TRUST_BAD_PEM');
});
