import { loadImportManifest, loadSystemManifest, validateImportManifest, validateSystemManifest, parseYamlTree } from '@mos/manifest';

// The import manifest of the original's docs (mos-original.md §2.1), sizes in MiB.
const YAML = `
version: 1
product: de6c82c5-2e01-4c92-949b-a6545d30fc06
update_type: complete
storage:
  - label: zot-data
    persistent: true
    nsgroup: "zot"
    size: 30720
targets:
  - service_name: zot
    source: docker://zothub.io/machine/bootkit/demo-zot:v0.0.28-squashfs
    version: 1.0.0
    service_type: container
    nsgroup: "zot"
    network: {type: simple, ipv4: "10.0.3.99/24", ports: [{host: 80, container: 5000}]}
    storage:
      - {dest: /zot, label: zot-data}
  - service_name: hostfs
    source: oci:zothub:busybox-squashfs
    version: 1.0.0
    service_type: hostfs
    network: {type: host}
  - service_name: local
    source: 127.0.0.1:5000/mos/busybox:1.0
    digest: sha256:${'c'.repeat(64)}
    size: 528
    version: "2"
    service_type: fs-only
    network: {type: none}
`;

describe('import manifest (YAML)', () => {
  test('the documented example loads; digest and size are optional', () => {
    const { manifest, warnings } = loadImportManifest(YAML);
    expect(warnings).toEqual([]);
    expect(manifest.targets.map((t) => [t.service_name, t.source, t.digest, t.size])).toEqual([
      ['zot', 'docker://zothub.io/machine/bootkit/demo-zot:v0.0.28-squashfs', '', 0],
      ['hostfs', 'oci:zothub:busybox-squashfs', '', 0],
      ['local', '127.0.0.1:5000/mos/busybox:1.0', 'sha256:' + 'c'.repeat(64), 528],
    ]);
    expect(manifest.storage).toEqual([{ label: 'zot-data', persistent: true, nsgroup: 'zot', size: 30720 }]);
  });

  const edit = (from: string, to: string) => YAML.replace(from, to);
  test.each([
    ['version 2', edit('version: 1', 'version: 2'), 'version', 'version'],
    ['storage size 30G (the docs drift)', edit('size: 30720', 'size: 30G'), 'storage[0].size', 'type'],
    ['a reserved label', edit('label: zot-data\n', 'label: esp\n'), 'storage[0].label', 'reserved-label'],
    ['a source that is no reference', edit('source: oci:zothub:busybox-squashfs', 'source: busybox'), 'targets[1].source', 'source'],
    ['a bad optional digest', edit(`digest: sha256:${'c'.repeat(64)}`, 'digest: md5:abc'), 'targets[2].digest', 'digest'],
    ['a hostile target name', edit('service_name: local', 'service_name: "../../etc"'), 'targets[2].service_name', 'safe-name'],
    ['a bad update_type', edit('update_type: complete', 'update_type: full'), 'update_type', 'update-type'],
  ])('rejects %s', (_w, text, path, rule) => {
    expect(validateImportManifest(parseYamlTree(text, 'm')).errors).toContainEqual(expect.objectContaining({ path, rule }));
    expect(() => loadImportManifest(text)).toThrow(expect.objectContaining({ code: 'ERR_MANIFEST_INVALID' }));
  });

  test('an empty update_type is accepted with a warning that hosts cannot install it', () => {
    const { manifest, warnings } = loadImportManifest(edit('update_type: complete\n', ''));
    expect(manifest.update_type).toBe('');
    expect(warnings).toContainEqual(expect.objectContaining({ path: 'update_type' }));
  });

  test.each([
    ['broken YAML', 'version: [1'],
    ['a YAML list', '- a\n- b\n'],
    ['duplicate keys', 'version: 1\nversion: 1\n'],
  ])('rejects %s with a parse error', (_w, text) => {
    expect(() => loadImportManifest(text)).toThrow(expect.objectContaining({ code: 'ERR_MANIFEST_PARSE' }));
  });
});

describe('system manifest (manifest.json)', () => {
  const sha = 'f'.repeat(64);
  test('tolerates the keys the original also wrote, and drops them', () => {
    const goWritten = JSON.stringify({
      uidmaps: [{ 'idmap-name': 'zot', hostid: 100000 }],
      targets: [{ name: 'hostfs', source: `${sha}.json`, OCIManifest: { schemaVersion: 2 }, OCIConfig: {} }],
      storage: null,
      DefaultNic: '',
      UsedPorts: null,
      IpAddrs: null,
    });
    expect(loadSystemManifest(goWritten)).toEqual({
      uidmaps: [{ 'idmap-name': 'zot', hostid: 100000 }],
      targets: [{ name: 'hostfs', source: `${sha}.json` }],
      storage: [],
    });
  });

  test.each([
    ['a source that is a path', { targets: [{ name: 'a', source: '../x.json' }] }, 'targets[0].source'],
    ['a hostile target name', { targets: [{ name: 'a/b', source: `${sha}.json` }] }, 'targets[0].name'],
    ['a duplicate target', { targets: [{ name: 'a', source: `${sha}.json` }, { name: 'a', source: `${sha}.json` }] }, 'targets[1].name'],
    ['a bad hostid', { uidmaps: [{ 'idmap-name': 'g', hostid: -1 }] }, 'uidmaps[0].hostid'],
  ])('rejects %s', (_w, tree, path) => {
    expect(validateSystemManifest(tree).errors).toContainEqual(expect.objectContaining({ path }));
  });
});
