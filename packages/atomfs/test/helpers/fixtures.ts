import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sh } from './tmp';

/** Writes a tree: keys are paths, values file contents, `{ symlink }` or `null` for an empty dir. */
export function writeTree(root: string, tree: Record<string, string | { symlink: string } | null>): void {
  mkdirSync(root, { recursive: true });
  for (const [p, v] of Object.entries(tree)) {
    const full = join(root, p);
    if (v === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof v === 'string') writeFileSync(full, v);
    else symlinkSync(v.symlink, full);
  }
}

/** A tar of `dir` made by GNU tar (numeric ids, fixed order), as an OCI layer would be. */
export function tarOf(dir: string, out: string): string {
  sh('tar', ['-c', '-f', out, '-C', dir, '--numeric-owner', '--sort=name', '.']);
  return out;
}

/**
 * Three layers from a busybox-static tree, as OCI tars:
 * - base: /bin/busybox, sh/ls/cat symlinks, /etc/{hostname,passwd,motd}, /opt/old/{a,b}, /srv/x
 * - del:  deletes /etc/hostname and /srv (whiteouts), replaces /etc/passwd, adds /etc/added
 * - opq:  makes /opt opaque (only /opt/new survives), adds /bin/hello
 */
export function busyboxLayers(dir: string): { base: string; del: string; opq: string } {
  const base = join(dir, 'src-base');
  writeTree(base, {
    'etc/hostname': 'base-host\n',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/motd': 'hello from base\n',
    'opt/old/a': 'a\n',
    'opt/old/b': 'b\n',
    'srv/x': 'x\n',
    'bin/sh': { symlink: 'busybox' },
    'bin/ls': { symlink: 'busybox' },
    'bin/cat': { symlink: 'busybox' },
    tmp: null,
  });
  copyFileSync('/bin/busybox', join(base, 'bin/busybox'));
  const del = join(dir, 'src-del');
  writeTree(del, {
    'etc/.wh.hostname': '',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n',
    'etc/added': 'added\n',
    '.wh.srv': '',
  });
  const opq = join(dir, 'src-opq');
  writeTree(opq, {
    'opt/.wh..wh..opq': '',
    'opt/new': 'new\n',
    'bin/hello': '#!/bin/sh\necho hello\n',
  });
  return { base: tarOf(base, join(dir, 'base.tar')), del: tarOf(del, join(dir, 'del.tar')), opq: tarOf(opq, join(dir, 'opq.tar')) };
}

/**
 * A stand-in squashfs image for unit tests that never mount: a valid superblock claiming
 * `blocks * 4096` bytes, random content after it. Verity data can then be appended for real.
 */
export function fakeSquashfs(path: string, blocks = 3): string {
  const buf = require('node:crypto').randomBytes(blocks * 4096) as Buffer;
  buf.fill(0, 0, 96);
  buf.writeUInt32LE(0x73717368, 0); // magic
  buf.writeUInt32LE(131072, 12); // block size
  buf.writeUInt16LE(6, 20); // zstd
  buf.writeUInt16LE(17, 22); // block log
  buf.writeUInt16LE(4, 28); // version 4.0
  buf.writeBigUInt64LE(BigInt(blocks * 4096 - 100), 40); // bytes_used (padded up to blocks * 4096)
  writeFileSync(path, buf);
  return path;
}
