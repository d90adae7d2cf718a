import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { runTrust } from '../helpers/cli';
import { openssl, opensslVerify } from '../helpers/openssl';
import { tempDirs } from '../helpers/tmp';

// keyset.bats "Create keysets, project and sudis" (mos-original §5.2), through the CLI. The
// original's snakeoil keyset is cloned from GitHub; here it is generated like any other.

const tmp = tempDirs();
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

test('two keysets, projects, four SUDIs, and what the list commands print', async () => {
  const dir = tmp();
  const trust = async (...argv: string[]) => {
    const r = await runTrust([...argv, '--keysets-dir', dir]);
    expect({ argv, code: r.code, stderr: r.stderr }).toEqual({ argv, code: 0, stderr: '' });
    return r.stdout;
  };

  await trust('keyset', 'add', 'snakeoil');
  await trust('project', 'add', 'snakeoil', 'newproject');
  expect(lines(await trust('project', 'list', 'snakeoil'))).toEqual(['default', 'newproject']);

  await trust('keyset', 'add', '--org', 'Wowza inc', 'zomg');
  expect(lines(await trust('keyset', 'list'))).toEqual(['snakeoil', 'zomg']);
  expect(lines(await trust('project', 'list', 'zomg'))).toEqual(['default']);
  await trust('project', 'add', 'zomg', 'newproject');
  expect(lines(await trust('project', 'list', 'zomg'))).toEqual(['default', 'newproject']);

  expect(await trust('sudi', 'list', 'zomg', 'newproject')).toBe('');

  const random = (await trust('sudi', 'add', 'zomg', 'newproject')).trim();
  expect(random).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const uuid = randomUUID();
  expect(await trust('sudi', 'add', 'zomg', 'newproject', uuid)).toBe(`${uuid}\n`);
  const sudiDir = join(dir, 'zomg/manifest/newproject/sudi');
  expect(existsSync(join(sudiDir, uuid, 'cert.pem'))).toBe(true);
  await trust('sudi', 'add', 'zomg', 'newproject', 'SN0001');
  await trust('sudi', 'add', 'zomg', 'newproject', 'SN0002');
  expect(lines(await trust('sudi', 'list', 'zomg', 'newproject'))).toEqual([random, uuid, 'SN0001', 'SN0002'].sort());

  // Each SUDI: serialNumber=PID:<project uuid> SN:<serial>, CN=<serial>, issued by zomg's sudi-ca.
  const pid = readFileSync(join(dir, 'zomg/manifest/newproject/uuid'), 'utf8').trim();
  for (const serial of [random, uuid, 'SN0001', 'SN0002']) {
    const cert = join(sudiDir, serial, 'cert.pem');
    expect(openssl(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253'])).toBe(`subject=CN=${serial},serialNumber=PID:${pid} SN:${serial}\n`);
    expect(opensslVerify(join(dir, 'zomg/sudi-ca/cert.pem'), cert)).toEqual({ ok: true });
    expect(opensslVerify(join(dir, 'snakeoil/sudi-ca/cert.pem'), cert).ok).toBe(false);
  }
  // The other keyset's project is untouched, and the org shows up only in zomg.
  expect(await trust('sudi', 'list', 'snakeoil', 'newproject')).toBe('');
  expect(openssl(['x509', '-in', join(dir, 'zomg/manifest-ca/cert.pem'), '-noout', '-subject', '-nameopt', 'RFC2253'])).toBe(
    'subject=OU=Project Machine Project zomg,O=Wowza inc,CN=Manifest rootCA\n',
  );
  expect(openssl(['x509', '-in', join(dir, 'snakeoil/manifest-ca/cert.pem'), '-noout', '-subject', '-nameopt', 'RFC2253'])).toBe(
    'subject=OU=Project Machine Project snakeoil,CN=Manifest rootCA\n',
  );
});
