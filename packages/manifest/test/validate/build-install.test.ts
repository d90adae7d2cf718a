import { installFromImport, loadImportManifest, loadInstallManifest, serializeInstallManifest } from '@mos/manifest';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const yaml = (extra = '') => `
version: 1
product: p-1
update_type: complete
targets:
  - service_name: hostfs
    source: oci:zothub:busybox-squashfs
    version: 1.0.0
    service_type: hostfs
    network: {type: host}
  - service_name: web
    source: docker://127.0.0.1:5000/web:1
    version: "2"
    service_type: container
    nsgroup: web
    network: {type: simple, ports: [{host: 8080, container: 80}]}
${extra}`;

describe('installFromImport', () => {
  test('drops sources, pins resolved digests and sizes, keeps Go field order; the bytes read back', () => {
    const imp = loadImportManifest(yaml()).manifest;
    const bytes = serializeInstallManifest(installFromImport(imp, [{ digest: D1, size: 528 }, { digest: D2, size: 612 }]));
    expect(bytes.toString()).not.toContain('source');
    expect(Object.keys(JSON.parse(bytes.toString()))).toEqual(['version', 'product', 'storage', 'targets', 'update_type']);
    expect(Object.keys(JSON.parse(bytes.toString()).targets[0])).toEqual(['service_name', 'version', 'service_type', 'network', 'nsgroup', 'digest', 'storage', 'size']);
    const back = loadInstallManifest(bytes).manifest;
    expect(back.targets.map((t) => [t.service_name, t.digest, t.size])).toEqual([
      ['hostfs', D1, 528],
      ['web', D2, 612],
    ]);
  });

  test("a target's health check is carried into the signed bytes after size, as written; other targets get none", () => {
    const withHealth = yaml().replace('    network: {type: simple, ports: [{host: 8080, container: 80}]}\n', '    network: {type: simple, ports: [{host: 8080, container: 80}]}\n    health: {tcp: 80, interval: 0.5, retries: 2}\n');
    const bytes = serializeInstallManifest(installFromImport(loadImportManifest(withHealth).manifest, [{ digest: D1, size: 528 }, { digest: D2, size: 612 }]));
    const [hostfs, web] = JSON.parse(bytes.toString()).targets;
    expect(Object.keys(web)).toEqual(['service_name', 'version', 'service_type', 'network', 'nsgroup', 'digest', 'storage', 'size', 'health']);
    expect(web.health).toEqual({ tcp: 80, interval: 0.5, retries: 2 });
    expect(hostfs.health).toBeUndefined();
    expect(loadInstallManifest(bytes).manifest.targets[1].service_name).toBe('web'); // still a valid install manifest
  });

  test('a health check that is not a mapping is an error naming the target field', () => {
    expect(() => loadImportManifest(yaml().replace('    nsgroup: web\n', '    nsgroup: web\n    health: "curl localhost"\n'))).toThrow(/targets\[1\]\.health.*must be a mapping/s);
  });

  test('a pinned digest or size that differs from the source fails, naming both', () => {
    const imp = loadImportManifest(yaml().replace('    source: oci:zothub:busybox-squashfs\n', `    source: oci:zothub:busybox-squashfs\n    digest: ${D2}\n    size: 1\n`)).manifest;
    const err = (() => {
      try {
        installFromImport(imp, [{ digest: D1, size: 528 }, { digest: D2, size: 612 }]);
      } catch (e) {
        return e as { code: string; issues: { rule: string; message: string }[] };
      }
    })();
    expect(err?.code).toBe('ERR_MANIFEST_INVALID');
    expect(err?.issues.map((i) => i.rule)).toEqual(['source-digest', 'source-size']);
    expect(err?.issues[0].message).toContain(D1);
    expect(err?.issues[0].message).toContain(D2);
  });
});
