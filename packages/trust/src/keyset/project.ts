import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors';
import { OID } from '../x509/certificate';
import { addYears, buildCertificate, generateRsaKeyPair } from './cert-builder';
import { createAtomically, readKeyDir, writeKeyDir } from './key-dir';
import { assertSafeName, keysetDir, type KeysetOptions } from './paths';

/**
 * Creates project (= product) `project` inside keyset directory `ksDir`: a random product
 * uuid, an RSA-2048 manifest signing key and a certificate with CN `manifest PRODUCT:<uuid>`
 * signed by the keyset's manifest CA (20 years, digitalSignature, codeSigning), and `sudi/`.
 */
export async function createProject(ksDir: string, project: string, now = new Date()): Promise<string> {
  assertSafeName('project', project);
  const ca = await readKeyDir(join(ksDir, 'manifest-ca'), 'manifest CA');
  const dest = join(ksDir, 'manifest', project);
  await createAtomically(dest, `project "${project}"`, async (tmp) => {
    const uuid = randomUUID();
    const keys = await generateRsaKeyPair();
    const certPem = buildCertificate({
      subject: [{ shortName: 'CN', value: `manifest PRODUCT:${uuid}` }],
      keys,
      issuer: ca,
      notBefore: now,
      notAfter: addYears(now, 20),
      ca: false,
      keyUsage: { digitalSignature: true },
      extKeyUsage: [OID.codeSigning],
    });
    await writeKeyDir(tmp, keys, certPem);
    await writeFile(join(tmp, 'uuid'), uuid, { mode: 0o640 });
    await mkdir(join(tmp, 'sudi'), { mode: 0o750 });
  });
  return dest;
}

/**
 * Adds a project to an existing keyset; refuses an existing project.
 *
 * @example
 * import { addProject } from '@mos/trust';
 * await addProject({ keyset: 'demo', project: 'router', dir: '/tmp/keys' });
 */
export async function addProject(opts: KeysetOptions & { keyset: string; project: string }): Promise<string> {
  return createProject(keysetDir(opts), opts.project, opts.now);
}

/** The projects of a keyset, sorted. */
export async function listProjects(opts: KeysetOptions & { keyset: string }): Promise<string[]> {
  const dir = join(keysetDir(opts), 'manifest');
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The directory and product uuid of an existing project. */
export async function projectInfo(opts: KeysetOptions & { keyset: string; project: string }): Promise<{ dir: string; uuid: string }> {
  assertSafeName('project', opts.project);
  const dir = join(keysetDir(opts), 'manifest', opts.project);
  if (!existsSync(join(dir, 'uuid'))) throw new NotFoundError(`project "${opts.project}" not found in keyset "${opts.keyset}"`);
  return { dir, uuid: (await readFile(join(dir, 'uuid'), 'utf8')).trim() };
}
