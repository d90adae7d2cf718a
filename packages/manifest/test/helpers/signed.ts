import { addKeyset, projectInfo, signDetached } from '@mos/trust';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignedInstall } from '@mos/manifest';

/** A real keyset made by @mos/trust in a temp dir, with what the tests sign with. */
export interface TestKeys {
  dir: string;
  caPath: string;
  product: string;
  key: Buffer;
  cert: Buffer;
}

export async function makeKeys(name = 'test'): Promise<TestKeys> {
  const dir = mkdtempSync(join(tmpdir(), 'mos-keys-'));
  await addKeyset({ name, dir });
  const proj = await projectInfo({ keyset: name, project: 'default', dir });
  return {
    dir,
    caPath: join(dir, name, 'manifest-ca', 'cert.pem'),
    product: proj.uuid,
    key: readFileSync(join(proj.dir, 'privkey.pem')),
    cert: readFileSync(join(proj.dir, 'cert.pem')),
  };
}

/** Signs an install manifest tree the way mosb does: the JSON bytes, RSA PKCS#1 v1.5 / SHA-256. */
export function signInstall(tree: Record<string, unknown>, keys: TestKeys): SignedInstall {
  const json = Buffer.from(JSON.stringify(tree));
  return {
    sha256: createHash('sha256').update(json).digest('hex'),
    json,
    signature: signDetached({ data: json, key: keys.key }),
    certificate: keys.cert,
  };
}

/** A temp host root with `config/` and the manifest CA where a host keeps it. */
export function makeRoot(keys: TestKeys): string {
  const root = mkdtempSync(join(tmpdir(), 'mos-root-'));
  mkdirSync(join(root, 'config'));
  mkdirSync(join(root, 'factory', 'secure'), { recursive: true });
  copyFileSync(keys.caPath, join(root, 'factory', 'secure', 'manifestCA.pem'));
  return root;
}

/** Removes temp dirs; tolerates ones a failed beforeAll never made. */
export const rmrf = (...dirs: (string | undefined)[]) => dirs.forEach((d) => d && rmSync(d, { recursive: true, force: true }));

/** Runs git in a repository; returns stdout. Author env set so test commits are ours, not the machine's. */
export function gitCli(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'test-user', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'test-user', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
}
