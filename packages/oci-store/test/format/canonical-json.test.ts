import { canonicalJson, EMPTY_JSON, MediaType, sha256Digest } from '@mos/oci-store';

describe('canonicalJson (Go encoding/json compatible)', () => {
  it('orders manifest and descriptor fields like the Go structs, sorts annotations, escapes HTML', () => {
    const m = {
      annotations: { z: '1', a: '<&>' },
      layers: [{ size: 1, digest: 'sha256:' + 'a'.repeat(64), mediaType: 'x/y' }],
      config: { ...EMPTY_JSON },
      artifactType: 'application/vnd.machine.install',
      mediaType: MediaType.ImageManifest,
      schemaVersion: 2,
    };
    expect(canonicalJson(m).toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.machine.install",' +
        '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},' +
        `"layers":[{"mediaType":"x/y","digest":"sha256:${'a'.repeat(64)}","size":1}],"annotations":{"a":"\\u003c\\u0026\\u003e","z":"1"}}`,
    );
  });

  it('writes index.json like skopeo/umoci', () => {
    expect(canonicalJson({ schemaVersion: 2, manifests: [] }).toString()).toBe('{"schemaVersion":2,"manifests":[]}');
  });

  it('the empty blob digest is the spec one', () => {
    expect(sha256Digest('{}')).toBe(EMPTY_JSON.digest);
  });
});
