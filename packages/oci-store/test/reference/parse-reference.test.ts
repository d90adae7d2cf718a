import { formatReference, parseReference, type OciStoreError } from '@mos/oci-store';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as OciStoreError).code;
  }
  return 'no error';
};

describe('parseReference', () => {
  it('oci:DIR:TAG splits at the first two colons (the tag may hold more)', () => {
    expect(parseReference('oci:/s/mos:sha256:' + 'a'.repeat(64))).toEqual({ transport: 'oci', dir: '/s/mos', tag: 'sha256:' + 'a'.repeat(64) });
    expect(parseReference('oci:rel/dir:v1')).toEqual({ transport: 'oci', dir: 'rel/dir', tag: 'v1' });
    expect(parseReference('oci:/only/dir')).toEqual({ transport: 'oci', dir: '/only/dir' });
  });

  it('docker:// with port, nested names, tag or digest, default latest', () => {
    const dg = 'sha256:' + 'b'.repeat(64);
    expect(parseReference('docker://127.0.0.1:5000/machine/install:1.0.0')).toEqual({ transport: 'docker', registry: '127.0.0.1:5000', repository: 'machine/install', tag: '1.0.0' });
    expect(parseReference(`docker://reg.example/mos@${dg}`)).toEqual({ transport: 'docker', registry: 'reg.example', repository: 'mos', digest: dg });
    expect(parseReference('docker://localhost/mos')).toEqual({ transport: 'docker', registry: 'localhost', repository: 'mos', tag: 'latest' });
    expect(parseReference('docker://busybox')).toEqual({ transport: 'docker', registry: 'docker.io', repository: 'library/busybox', tag: 'latest' });
  });

  it("the original's bare host:port/name:tag and http(s):// prefixes", () => {
    expect(parseReference('10.0.0.1:5000/mos:abc')).toEqual({ transport: 'docker', registry: '10.0.0.1:5000', repository: 'mos', tag: 'abc' });
    expect(parseReference('http://h:1/m:t')).toEqual({ transport: 'docker', registry: 'h:1', repository: 'm', tag: 't', scheme: 'http' });
    expect(parseReference('https://h/a/b:t')).toEqual({ transport: 'docker', registry: 'h', repository: 'a/b', tag: 't', scheme: 'https' });
  });

  it('rejects hostile and malformed references with typed errors', () => {
    for (const r of ['', 'oci:', 'oci::t', 'oci:/d:../x', 'docker://h/../x:t', 'docker://h/UPPER:t', 'docker://h/x:bad tag', 'docker://h/x@sha256:12', 'nonsense', 'ftp://h/x:y', 'a\0b/c']) {
      expect([r, code(() => parseReference(r))]).toEqual([r, expect.stringMatching(/^ERR_OCI_INVALID_(REFERENCE|NAME|DIGEST)$/)]);
    }
  });

  it('formatReference round-trips', () => {
    for (const r of ['oci:/d:sha256:' + 'c'.repeat(64), 'docker://h:5/a/b:t']) expect(formatReference(parseReference(r))).toBe(r);
  });
});
