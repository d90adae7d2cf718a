import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OID } from '../x509/certificate';
import { buildCertificate, generateRsaKeyPair } from './cert-builder';
import { createAtomically, readKeyDir, writeKeyDir } from './key-dir';
import { assertSafeName, keysetDir, type KeysetOptions } from './paths';
import { projectInfo } from './project';

const SUDI_NOT_AFTER = new Date(Date.UTC(2099, 11, 31, 23, 0, 0));

/**
 * Creates a SUDI (per-machine identity) for a project: subject
 * `serialNumber=PID:<product uuid> SN:<serial>, CN=<serial>`, signed by the keyset's SUDI CA,
 * valid until 2099-12-31 23:00 UTC, for TLS server and client use. The serial defaults to a
 * random uuid. Returns the serial.
 *
 * @example
 * import { addSudi } from '@mos/trust';
 * await addSudi({ keyset: 'demo', project: 'default', serial: 'SN0001', dir: '/tmp/keys' });
 */
export async function addSudi(opts: KeysetOptions & { keyset: string; project: string; serial?: string }): Promise<string> {
  const serial = opts.serial ?? randomUUID();
  assertSafeName('serial', serial);
  const { dir, uuid } = await projectInfo(opts);
  const ca = await readKeyDir(join(keysetDir(opts), 'sudi-ca'), 'SUDI CA');
  await createAtomically(join(dir, 'sudi', serial), `SUDI "${serial}"`, async (tmp) => {
    const keys = await generateRsaKeyPair();
    const certPem = buildCertificate({
      subject: [
        { type: OID.serialNumber, value: `PID:${uuid} SN:${serial}` },
        { shortName: 'CN', value: serial },
      ],
      keys,
      issuer: ca,
      notBefore: opts.now ?? new Date(),
      notAfter: SUDI_NOT_AFTER,
      ca: false,
      keyUsage: { digitalSignature: true, keyEncipherment: true, dataEncipherment: true },
      extKeyUsage: [OID.serverAuth, OID.clientAuth],
    });
    await writeKeyDir(tmp, keys, certPem);
  });
  return serial;
}

/** The SUDI serials of a project, sorted. */
export async function listSudis(opts: KeysetOptions & { keyset: string; project: string }): Promise<string[]> {
  const dir = join((await projectInfo(opts)).dir, 'sudi');
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}
