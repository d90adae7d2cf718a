import { loadInstallManifest, validateInstallManifest, InvalidManifestError } from '@mos/manifest';
import { DIGEST_B, install, target } from '../helpers/fixtures';

const simple = (over: Record<string, unknown> = {}) =>
  target({ service_name: 'web', service_type: 'container', network: { type: 'simple', ipv4: '10.0.3.99/24', ipv6: '', ports: [{ host: 80, container: 5000 }] }, ...over });

describe('install manifest validation', () => {
  test('serial and expires are read when present, absent otherwise (the original has neither)', () => {
    expect(validateInstallManifest(install({ serial: 1733400000, expires: '2027-01-31T00:00:00.5+01:00' })).value).toMatchObject({ serial: 1733400000, expires: '2027-01-31T00:00:00.5+01:00' });
    const plain = validateInstallManifest(install({})).value;
    expect('serial' in plain || 'expires' in plain).toBe(false);
  });

  test('the original example shape is valid, nulls normalised, unknown keys ignored', () => {
    const tree = install({ storage: null, extra: 'ignored', targets: [target(), simple()] });
    const v = validateInstallManifest(tree);
    expect(v.errors).toEqual([]);
    expect(v.value.storage).toEqual([]);
    expect(v.value.targets[0].network.ports).toEqual([]);
    expect(v.value.targets[1].network.ports).toEqual([{ host: 80, container: 5000 }]);
    expect('extra' in v.value).toBe(false);
  });

  // [description, tree, expected error path, expected rule]
  const rejected: [string, Record<string, unknown>, string, string][] = [
    ['version 2', install({ version: 2 }), 'version', 'version'],
    ['version 0', install({ version: 0 }), 'version', 'version'],
    ['version as string', install({ version: '1' }), 'version', 'type'],
    ['empty product', install({ product: '' }), 'product', 'required'],
    ['product with control chars', install({ product: 'a\nb' }), 'product', 'text'],
    ['unknown update_type', install({ update_type: 'sometimes' }), 'update_type', 'update-type'],
    ['negative serial', install({ serial: -1 }), 'serial', 'serial'],
    ['serial as string', install({ serial: '7' }), 'serial', 'type'],
    ['serial past 2^53', install({ serial: 2 ** 53 }), 'serial', 'type'],
    ['expires without zone', install({ expires: '2027-01-01T00:00:00' }), 'expires', 'expires'],
    ['expires as a date only', install({ expires: '2027-01-01' }), 'expires', 'expires'],
    ['expires impossible', install({ expires: '2027-13-45T00:00:00Z' }), 'expires', 'expires'],
    ['empty service_name', install({ targets: [target({ service_name: '' })] }), 'targets[0].service_name', 'required'],
    ['service_name ..', install({ targets: [target({ service_name: '..' })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name with /', install({ targets: [target({ service_name: 'a/b' })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name with NUL', install({ targets: [target({ service_name: 'a\u0000b' })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name leading -', install({ targets: [target({ service_name: '-rf' })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name leading .', install({ targets: [target({ service_name: '.hidden' })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name too long', install({ targets: [target({ service_name: 'x'.repeat(65) })] }), 'targets[0].service_name', 'safe-name'],
    ['service_name with space', install({ targets: [target({ service_name: 'a b' })] }), 'targets[0].service_name', 'safe-name'],
    ['empty version', install({ targets: [target({ version: '' })] }), 'targets[0].version', 'required'],
    ['unknown service_type', install({ targets: [target({ service_type: 'vm' })] }), 'targets[0].service_type', 'service-type'],
    ['empty network type', install({ targets: [target({ network: { type: '' } })] }), 'targets[0].network.type', 'network-type'],
    ['bad network type', install({ targets: [target({ network: { type: 'bridge' } })] }), 'targets[0].network.type', 'network-type'],
    ['port 0', install({ targets: [simple({ network: { type: 'simple', ports: [{ host: 0, container: 80 }] } })] }), 'targets[0].network.ports[0].host', 'port'],
    ['port 65536', install({ targets: [simple({ network: { type: 'simple', ports: [{ host: 80, container: 65536 }] } })] }), 'targets[0].network.ports[0].container', 'port'],
    ['ports on a host network', install({ targets: [target({ network: { type: 'host', ports: [{ host: 80, container: 80 }] } })] }), 'targets[0].network.ports', 'ports'],
    ['bad ipv4', install({ targets: [simple({ network: { type: 'simple', ipv4: '10.0.3.300' } })] }), 'targets[0].network.ipv4', 'address'],
    ['bad ipv6', install({ targets: [simple({ network: { type: 'simple', ipv6: 'fe80::zz' } })] }), 'targets[0].network.ipv6', 'address'],
    ['nsgroup ..', install({ targets: [target({ nsgroup: '..' })] }), 'targets[0].nsgroup', 'safe-name'],
    ['uppercase digest', install({ targets: [target({ digest: 'sha256:' + 'A'.repeat(64) })] }), 'targets[0].digest', 'digest'],
    ['short digest', install({ targets: [target({ digest: 'sha256:abc' })] }), 'targets[0].digest', 'digest'],
    ['sha512 digest', install({ targets: [target({ digest: 'sha512:' + 'a'.repeat(128) })] }), 'targets[0].digest', 'digest'],
    ['size 0', install({ targets: [target({ size: 0 })] }), 'targets[0].size', 'size'],
    ['negative size', install({ targets: [target({ size: -5 })] }), 'targets[0].size', 'size'],
    ['fractional size', install({ targets: [target({ size: 1.5 })] }), 'targets[0].size', 'type'],
    ['reserved storage label', install({ storage: [{ label: 'machine-config', persistent: true, nsgroup: '', size: 10 }] }), 'storage[0].label', 'reserved-label'],
    ['storage label with /', install({ storage: [{ label: '../etc', persistent: true, nsgroup: '', size: 10 }] }), 'storage[0].label', 'safe-name'],
    ['storage size "30G"', install({ storage: [{ label: 'data', persistent: true, nsgroup: '', size: '30G' }] }), 'storage[0].size', 'type'],
    ['storage size 0', install({ storage: [{ label: 'data', persistent: true, nsgroup: '', size: 0 }] }), 'storage[0].size', 'size'],
    ['storage persistent "yes"', install({ storage: [{ label: 'data', persistent: 'yes', nsgroup: '', size: 1 }] }), 'storage[0].persistent', 'type'],
    ['duplicate storage label', install({ storage: [{ label: 'd', persistent: true, nsgroup: '', size: 1 }, { label: 'd', persistent: false, nsgroup: '', size: 1 }] }), 'storage[1].label', 'duplicate'],
    ['relative dest', install({ targets: [target({ storage: [{ dest: 'data', label: 'd' }] })] }), 'targets[0].storage[0].dest', 'dest'],
    ['dest with ..', install({ targets: [target({ storage: [{ dest: '/data/../../etc', label: 'd' }] })] }), 'targets[0].storage[0].dest', 'dest'],
    ['dest /', install({ targets: [target({ storage: [{ dest: '/', label: 'd' }] })] }), 'targets[0].storage[0].dest', 'dest'],
    ['dest with NUL', install({ targets: [target({ storage: [{ dest: '/a\u0000', label: 'd' }] })] }), 'targets[0].storage[0].dest', 'dest'],
    ['duplicate target', install({ targets: [target(), target({ service_type: 'fs-only' })] }), 'targets[1].service_name', 'duplicate'],
    ['two hostfs targets', install({ targets: [target(), target({ service_name: 'other' })] }), 'targets[1].service_type', 'one-hostfs'],
    ['same host port twice', install({ targets: [simple(), simple({ service_name: 'web2', network: { type: 'simple', ports: [{ host: 80, container: 81 }] } })] }), 'targets[1].network.ports[0].host', 'duplicate-port'],
    ['targets not a list', install({ targets: { a: 1 } }), 'targets', 'type'],
    ['target not an object', install({ targets: ['hostfs'] }), 'targets[0]', 'type'],
  ];

  test.each(rejected)('rejects %s', (_what, tree, path, rule) => {
    const v = validateInstallManifest(tree);
    expect(v.errors).toContainEqual(expect.objectContaining({ path, rule }));
    expect(() => loadInstallManifest(Buffer.from(JSON.stringify(tree)))).toThrow(InvalidManifestError);
  });

  test('an empty update_type reads as partial, with a warning', () => {
    const v = validateInstallManifest(install({ update_type: '' }));
    expect(v.errors).toEqual([]);
    expect(v.value.update_type).toBe('partial');
    expect(v.warnings).toContainEqual(expect.objectContaining({ path: 'update_type', rule: 'default' }));
  });

  test('a storage reference to an undeclared label is a warning (partial updates may use old storage)', () => {
    const v = validateInstallManifest(install({ targets: [target({ storage: [{ dest: '/data', label: 'old' }] })] }));
    expect(v.errors).toEqual([]);
    expect(v.warnings).toContainEqual(expect.objectContaining({ rule: 'undeclared-label' }));
  });

  test('the validator collects every problem; the error carries them all', () => {
    const tree = install({ version: 2, product: '', targets: [target({ digest: DIGEST_B.slice(0, 10), size: 0 })] });
    const v = validateInstallManifest(tree);
    expect(v.errors.map((e) => e.path)).toEqual(['version', 'product', 'targets[0].digest', 'targets[0].size']);
    try {
      loadInstallManifest(Buffer.from(JSON.stringify(tree)));
      throw new Error('not rejected');
    } catch (e) {
      expect((e as InvalidManifestError).code).toBe('ERR_MANIFEST_INVALID');
      expect((e as InvalidManifestError).issues).toHaveLength(4);
    }
  });

  test('loadInstallManifest keeps the raw bytes and their sha256', () => {
    const raw = Buffer.from(JSON.stringify(install()) + '\n');
    const p = loadInstallManifest(raw);
    expect(p.raw).toBe(raw);
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.sha256).toBe(require('node:crypto').createHash('sha256').update(raw).digest('hex'));
  });

  test.each([
    ['not JSON', 'version: 1'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
  ])('rejects %s with a parse error', (_w, text) => {
    expect(() => loadInstallManifest(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'ERR_MANIFEST_PARSE' }));
  });
});
