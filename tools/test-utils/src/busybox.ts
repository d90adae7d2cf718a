import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A minimal root filesystem: busybox-static with its applet links in /bin, /etc with a
 * passwd, and `files` (path → content) on top. It is a real tree: lxc and chroot run it.
 */
export function busyboxTree(dir: string, files: Record<string, string> = {}): string {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'proc', 'dev', 'sys', 'root']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  execFileSync('cp', ['/bin/busybox', join(dir, 'bin', 'busybox')]);
  // Inside a chroot, so the applet links point at /bin/busybox of the tree, not at a host path.
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s']);
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    // An applet link (/sbin/init → /bin/busybox) is absolute: writing through it would write
    // the host's busybox. Replace the link instead.
    rmSync(join(dir, p), { force: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

/**
 * Copies a dynamically linked binary and the libraries `ldd` names into `tree`, each at its own
 * absolute path (symlinks resolved), so the binary runs in that tree as a root.
 */
export function copyWithLibs(bin: string, tree: string): void {
  const files = [bin];
  for (const line of execFileSync('ldd', [bin], { encoding: 'utf8' }).split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) files.push(m[1]);
  }
  for (const f of files) {
    mkdirSync(dirname(join(tree, f)), { recursive: true });
    execFileSync('cp', ['-L', f, join(tree, f)]);
    chmodSync(join(tree, f), 0o755);
  }
}
