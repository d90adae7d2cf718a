import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKeyset, projectInfo, signDetached } from '@mos/trust';

/** A real keyset made by @mos/trust in a temp dir, with what tests sign install manifests with. */
export interface TestKeys {
  dir: string;
  caPath: string;
  product: string;
  key: Buffer;
  cert: Buffer;
}

/** Creates keyset `name` (and its project `default`) in a new temp dir; the caller removes `dir`. */
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
export function signInstall(tree: Record<string, unknown>, keys: TestKeys): { sha256: string; json: Buffer; signature: Buffer; certificate: Buffer } {
  const json = Buffer.from(JSON.stringify(tree));
  return { sha256: createHash('sha256').update(json).digest('hex'), json, signature: signDetached({ data: json, key: keys.key }), certificate: keys.cert };
}
