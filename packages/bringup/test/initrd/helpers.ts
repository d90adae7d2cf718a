import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The real kernel tree the whole-build tests use: Debian's linux-image package unpacked by
 * `scripts/fetch-kernel` (which `scripts/setup` runs), as its `kernel.json` names it.
 */
const fetched = ((): { root?: string; kver?: string } => {
  try {
    return JSON.parse(readFileSync(join(process.env.MOS_CACHE_DIR ?? '/var/cache/mos-test', 'kernel', 'kernel.json'), 'utf8'));
  } catch {
    return {};
  }
})();
export const REAL_KERNEL_DIR = fetched.root ?? '/var/cache/mos-test/kernel/current';
export const REAL_KVER = fetched.kver ?? '6.1.0-57-amd64';
export const hasRealKernel = existsSync(join(REAL_KERNEL_DIR, 'lib', 'modules', REAL_KVER, 'kernel'));
export const HOW_TO_GET_KERNEL = `no Debian kernel tree at ${REAL_KERNEL_DIR}: run scripts/fetch-kernel (scripts/setup does it)`;

/**
 * A minimal ELF64 little-endian relocatable file whose only content is a `.modinfo` section
 * (null section, .modinfo, .shstrtab): what readModinfo needs, as a real module lays it out.
 */
export function fakeKo(info: Array<[string, string]>, opts: { class32?: boolean } = {}): Buffer {
  const modinfo = Buffer.from(info.map(([k, v]) => `${k}=${v}\0`).join(''));
  const shstrtab = Buffer.from('\0.modinfo\0.shstrtab\0');
  const dataEnd = 64 + modinfo.length + shstrtab.length;
  const shoff = (dataEnd + 7) & ~7;
  const buf = Buffer.alloc(shoff + 3 * 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = opts.class32 ? 1 : 2; // EI_CLASS
  buf[5] = 1; // little-endian
  buf[6] = 1;
  buf.writeUInt16LE(1, 16); // ET_REL
  buf.writeUInt16LE(62, 18); // x86-64
  buf.writeUInt32LE(1, 20);
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(64, 0x34);
  buf.writeUInt16LE(64, 0x3a);
  buf.writeUInt16LE(3, 0x3c);
  buf.writeUInt16LE(2, 0x3e);
  modinfo.copy(buf, 64);
  shstrtab.copy(buf, 64 + modinfo.length);
  const sh = (i: number, name: number, type: number, offset: number, size: number) => {
    const o = shoff + i * 64;
    buf.writeUInt32LE(name, o);
    buf.writeUInt32LE(type, o + 4);
    buf.writeBigUInt64LE(BigInt(offset), o + 24);
    buf.writeBigUInt64LE(BigInt(size), o + 32);
  };
  sh(1, 1, 1, 64, modinfo.length);
  sh(2, 10, 3, 64 + modinfo.length, shstrtab.length);
  return buf;
}

export interface FakeModule {
  /** Relative to lib/modules/KVER, e.g. `kernel/fs/ext4/ext4.ko`. */
  path: string;
  depends?: string[];
  aliases?: string[];
  softdep?: string;
}

/** A kernel tree like an unpacked linux-image .deb: boot/vmlinuz-KVER and lib/modules/KVER with fake modules. */
export function fakeKernelTree(dir: string, kver: string, modules: FakeModule[], extra: { builtin?: string[]; builtinModinfo?: string[] } = {}): string {
  const md = join(dir, 'lib', 'modules', kver);
  mkdirSync(join(dir, 'boot'), { recursive: true });
  writeFileSync(join(dir, 'boot', `vmlinuz-${kver}`), 'not a kernel');
  for (const m of modules) {
    const name = m.path.replace(/^.*\//, '').replace(/\.ko$/, '').replace(/-/g, '_');
    const info: Array<[string, string]> = [['license', 'GPL']];
    if (m.softdep) info.push(['softdep', m.softdep]);
    for (const a of m.aliases ?? []) info.push(['alias', a]);
    info.push(['depends', (m.depends ?? []).join(',')], ['name', name], ['vermagic', `${kver} SMP mod_unload`]);
    mkdirSync(dirname(join(md, m.path)), { recursive: true });
    writeFileSync(join(md, m.path), fakeKo(info));
  }
  if (extra.builtin) writeFileSync(join(md, 'modules.builtin'), extra.builtin.map((b) => `${b}\n`).join(''));
  if (extra.builtinModinfo) writeFileSync(join(md, 'modules.builtin.modinfo'), extra.builtinModinfo.map((b) => `${b}\0`).join(''));
  return dir;
}

/** A self-signed certificate in PEM (openssl), to stand in for the manifest CA. */
export function fakeCa(file: string): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=mos test manifest CA', '-days', '1', '-out', file], { stdio: 'ignore' });
  return file;
}

/** The lines of `cpio -it -v` (GNU) for an uncompressed archive, parsed. */
export function cpioListing(archive: string): Array<{ mode: string; nlink: number; owner: string; group: string; size?: number; dev?: [number, number]; name: string; target?: string }> {
  const text = execFileSync('cpio', ['-it', '-v', '--quiet', '-F', archive], { encoding: 'utf8' });
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(?:(\d+),\s*(\d+)|(\d+))\s+\S+\s+\d+\s+\S+\s(.*)$/.exec(l);
      if (!m) throw new Error(`cannot parse cpio listing line: ${l}`);
      const [name, target] = m[8].split(' -> ');
      return {
        mode: m[1],
        nlink: Number(m[2]),
        owner: m[3],
        group: m[4],
        ...(m[5] !== undefined ? { dev: [Number(m[5]), Number(m[6])] as [number, number] } : { size: Number(m[7]) }),
        name,
        ...(target !== undefined ? { target } : {}),
      };
    });
}
