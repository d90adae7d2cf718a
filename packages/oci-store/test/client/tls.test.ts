// TLS: our server with a certificate from a test CA; the client trusts it only with --ca-file
// (or --insecure); plain http is refused for non-loopback hosts.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { LayoutStore, MediaType, copy } from '@mos/oci-store';
import { buildImage } from '../helpers/image';
import { startOurServer } from '../helpers/our-server';
import { run } from '../helpers/run';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

function makeCa(dir: string) {
  const ext = join(dir, 'san.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test-ca', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '2']);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'srv.key'), '-out', join(dir, 'srv.csr')]);
  run('openssl', ['x509', '-req', '-in', join(dir, 'srv.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'srv.pem'), '-days', '2', '-extfile', ext]);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'srv.pem'), key: join(dir, 'srv.key') };
}

describe('TLS', () => {
  it('https with --ca-file works; without it the certificate is refused; --insecure skips verification', async () => {
    const pki = makeCa(dirs.make());
    const srv = await startOurServer({ tlsCert: pki.cert, tlsKey: pki.key });
    try {
      const src = join(dirs.make(), 'src');
      const s = await LayoutStore.open(src, { create: true });
      const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity });
      await s.tag(img.manifest, 'v1');
      await expect(copy(`oci:${src}:v1`, `https://${srv.host}/tls:v1`)).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED' });
      const r = await copy(`oci:${src}:v1`, `docker://${srv.host}/tls:v1`, { caFile: pki.ca });
      expect(r.manifest.digest).toBe(img.manifest.digest);
      const back = await copy(`docker://${srv.host}/tls:v1`, `oci:${join(dirs.make(), 'b')}:v1`, { insecure: true });
      expect(back.manifest.digest).toBe(img.manifest.digest);
    } finally {
      await srv.stop();
    }
  });

  it('plain http to a non-loopback registry is refused before any connection', async () => {
    await expect(copy('http://192.0.2.1:5000/mos:v1', `oci:${join(dirs.make(), 'x')}:v1`)).rejects.toMatchObject({ code: 'ERR_OCI_REGISTRY_INSECURE' });
  });
});
