// mos's integration for distro initramfs builders, installed into a temp root: the right files
// with the right modes, checked before anything is written. (The e2e builds an initramfs with
// Debian's mkinitramfs from these files and boots it.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDistroHooks, packageRoot } from '@mos/bringup';
import { parseArgs } from '../../src/main';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mos-hooks-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function caAndBundle(dir: string): { ca: string; bundle: string } {
  const ca = join(dir, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', ca, '-subj', '/CN=test CA', '-days', '2'], { stdio: 'ignore' });
  const bundle = join(dir, 'bringup.js');
  writeFileSync(bundle, '// bundle\n');
  return { ca, bundle };
}

describe('installDistroHooks', () => {
  it('installs the initramfs-tools hook, boot script and init-bottom script, the bundle and the CA', async () => {
    const root = tmp();
    const { ca, bundle } = caAndBundle(tmp());
    const r = await installDistroHooks({ builder: 'initramfs-tools', ca, bundle, root });
    expect(r.files).toEqual([
      'etc/mos/manifestCA.pem',
      'usr/lib/mos/bringup.js',
      'usr/share/initramfs-tools/hooks/mos',
      'usr/share/initramfs-tools/scripts/init-bottom/mos',
      'usr/share/initramfs-tools/scripts/mos',
    ]);
    const mode = (rel: string) => statSync(join(root, rel)).mode & 0o777;
    expect(mode('usr/share/initramfs-tools/hooks/mos')).toBe(0o755);
    expect(mode('usr/share/initramfs-tools/scripts/init-bottom/mos')).toBe(0o755);
    expect(mode('usr/share/initramfs-tools/scripts/mos')).toBe(0o644); // sourced, not run
    expect(readFileSync(join(root, 'etc/mos/manifestCA.pem'))).toEqual(readFileSync(ca));
    expect(readFileSync(join(root, 'usr/share/initramfs-tools/hooks/mos'))).toEqual(readFileSync(join(packageRoot(), 'distro/initramfs-tools/hooks/mos')));
    // The shell scripts parse (sh -n), as the distro's shell will run them.
    for (const f of r.files.filter((f) => f.includes('initramfs-tools'))) execFileSync('sh', ['-n', join(root, f)]);
    // A rerun replaces in place.
    await expect(installDistroHooks({ builder: 'initramfs-tools', ca, bundle, root })).resolves.toMatchObject({ files: r.files });
  });

  it('installs the dracut module (90mos: module-setup.sh, the cmdline and mount hooks), the bundle and the CA', async () => {
    const root = tmp();
    const { ca, bundle } = caAndBundle(tmp());
    const r = await installDistroHooks({ builder: 'dracut', ca, bundle, root });
    expect(r.files).toEqual([
      'etc/mos/manifestCA.pem',
      'usr/lib/dracut/modules.d/90mos/module-setup.sh',
      'usr/lib/dracut/modules.d/90mos/mos-mount.sh',
      'usr/lib/dracut/modules.d/90mos/mos-parse-root.sh',
      'usr/lib/mos/bringup.js',
    ]);
    for (const f of r.files.filter((f) => f.includes('dracut'))) {
      expect(statSync(join(root, f)).mode & 0o777).toBe(0o755);
      execFileSync(f.endsWith('module-setup.sh') ? 'bash' : 'sh', ['-n', join(root, f)]);
    }
  });

  it('refuses a CA file without a certificate, an unknown builder, a missing bundle: nothing written', async () => {
    const { ca, bundle } = caAndBundle(tmp());
    const notCa = join(tmp(), 'not-ca.pem');
    writeFileSync(notCa, 'hello\n');
    for (const [opts, code, msg] of [
      [{ builder: 'initramfs-tools', ca: notCa, bundle }, 'ERR_BRINGUP_BAD_OPTION', /holds no usable PEM certificate/],
      [{ builder: 'mkinitcpio', ca, bundle }, 'ERR_BRINGUP_BAD_OPTION', /unknown initramfs builder "mkinitcpio"; mos ships hooks for initramfs-tools, dracut/],
      [{ builder: 'initramfs-tools', ca, bundle: join(tmp(), 'none.js') }, 'ERR_BRINGUP_FILE_NOT_FOUND', /bringup bundle .* not found/],
    ] as const) {
      const root = tmp();
      await expect(installDistroHooks({ ...(opts as Parameters<typeof installDistroHooks>[0]), root })).rejects.toMatchObject({ code, message: expect.stringMatching(msg) });
      expect(existsSync(join(root, 'usr'))).toBe(false);
      expect(existsSync(join(root, 'etc'))).toBe(false);
    }
  });
});

describe('bringup arguments', () => {
  it('takes --new-root and --handover, and refuses anything else', () => {
    expect(parseArgs([])).toEqual({});
    expect(parseArgs(['--new-root', '/root', '--handover=distro'])).toEqual({ newRoot: '/root', style: 'distro' });
    expect(() => parseArgs(['--new-root', 'root'])).toThrow(/absolute path/);
    expect(() => parseArgs(['--handover', 'dracut'])).toThrow(/switch-root or distro/);
    expect(() => parseArgs(['--new-root'])).toThrow(/needs a value/);
    expect(() => parseArgs(['extra'])).toThrow(/unknown argument "extra"/);
  });
});
