import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initScript, INITRD_PATHS } from '@mos/bringup';
import { busyboxTree, tempDirs } from '@mos/test-utils';

const temps = tempDirs();
afterEach(() => temps.cleanup());

/** Writes an executable script at `p` in `root`, replacing an applet link (never writing through it). */
function script(root: string, p: string, body: string) {
  const f = join(root, p);
  if (existsSync(f) || lstatSync(join(root, p), { throwIfNoEntry: false })) unlinkSync(f);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
}

/**
 * A busybox tree with /init and stand-ins that only print: mount, node (exits as /scenario-rc
 * says, and copies /scenario-switch to /etc/mos/switch-root) and switch_root, in /usr/sbin and
 * /usr/bin, first on /init's PATH. Debian's busybox sh prefers its own applets: the ones that
 * fork re-exec /proc/self/exe, which a chroot without /proc lacks, so it falls back to PATH
 * and finds the stand-ins; insmod runs in-process and fails on the absent .ko files, which is
 * the failure path we want to see. `runInit` checks that no real mount happened.
 */
function initTree(rc: number, switchRoot?: string): string {
  const root = busyboxTree(temps.make());
  script(root, 'usr/sbin/mount', 'echo "mount $*"');
  script(root, 'usr/sbin/switch_root', 'echo "switch_root $*"; exit 0');
  script(root, 'usr/bin/node', '[ -f /scenario-switch ] && cp /scenario-switch /etc/mos/switch-root; echo "node $* NO_COLOR=$NO_COLOR FORCE_COLOR=$FORCE_COLOR"; exit $(cat /scenario-rc)');
  mkdirSync(join(root, 'etc/mos'), { recursive: true });
  writeFileSync(join(root, 'etc/mos/kver'), '6.1.0-57-amd64\n');
  writeFileSync(join(root, 'etc/mos/modules'), 'kernel/a.ko\nkernel/bad.ko\n\nkernel/c.ko\n');
  writeFileSync(join(root, 'scenario-rc'), String(rc));
  if (switchRoot) writeFileSync(join(root, 'scenario-switch'), switchRoot);
  writeFileSync(join(root, 'init'), initScript(), { mode: 0o755 });
  for (const stand of ['usr/sbin/mount', 'usr/sbin/switch_root']) expect(lstatSync(join(root, stand)).isFile()).toBe(true);
  return root;
}

function runInit(root: string) {
  const r = spawnSync('chroot', [root, '/init'], { encoding: 'utf8' });
  const leaked = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${root}/`));
  for (const l of leaked) spawnSync('umount', ['-l', l.split(' ')[4]]);
  expect(leaked).toEqual([]);
  return r;
}

describe('initScript', () => {
  it('is valid busybox sh and keeps the contract lines', () => {
    const text = initScript();
    const f = join(temps.make(), 'init');
    writeFileSync(f, text);
    execFileSync('/bin/busybox', ['sh', '-n', f]);
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain('export PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    expect(text).toContain(`NO_COLOR=1 FORCE_COLOR=0 ${INITRD_PATHS.node} ${INITRD_PATHS.bundle}`);
    expect(text).toContain('mount -t devtmpfs');
  });

  it('refuses paths that would need shell quoting', () => {
    expect(() => initScript({ bundle: '/x y.js' })).toThrow(expect.objectContaining({ code: 'ERR_BRINGUP_BAD_OPTION' }));
  });

  it('mounts, loads modules in order (going on after failures), runs bringup, then execs switch_root', () => {
    const r = runInit(initTree(0, '/sysroot /sbin/init\n'));
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'mount -t proc -o nosuid,nodev,noexec proc /proc',
      'mount -t sysfs -o nosuid,nodev,noexec sysfs /sys',
      'mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev',
      'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run',
      'mos-init: started (uptime ? s)',
      'mos-init: insmod kernel/a.ko failed',
      'mos-init: insmod kernel/bad.ko failed',
      'mos-init: insmod kernel/c.ko failed',
      'mos-init: modules loaded (uptime ? s)',
      'node /usr/lib/mos/bringup.js NO_COLOR=1 FORCE_COLOR=0',
      'switch_root /sysroot /sbin/init',
    ]);
    expect(r.status).toBe(0);
  });

  it('refuses to boot when bringup fails: message and exit 1 (the kernel then panics)', () => {
    const r = runInit(initTree(3, '/sysroot /sbin/init\n'));
    expect(r.stdout).toContain('mos-init: bringup failed (exit 3); not booting');
    expect(r.stdout).not.toContain('switch_root');
    expect(r.status).toBe(1);
  });

  it('refuses to boot when bringup exits 0 without naming a root', () => {
    const r = runInit(initTree(0));
    expect(r.stdout).toContain('mos-init: bringup failed (exit 0); not booting');
    expect(r.status).toBe(1);
  });
});
