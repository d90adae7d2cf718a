import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BringupError } from '../errors';

/** What a kernel module says about itself in its `.modinfo` section. Names are normalized (`-` → `_`). */
export interface ModInfo {
  /** `name=` (absent in very old modules; then the file name is the name). */
  name?: string;
  /** `depends=`: modules that must be loaded first (hard dependencies). */
  depends: string[];
  /** `alias=` patterns (may hold `*`, `?`, `[...]` wildcards), as written. */
  aliases: string[];
  /** `softdep=pre: …`: names or aliases to load before this module. */
  softPre: string[];
  /** `softdep=… post: …`: names or aliases to load after it. */
  softPost: string[];
}

/** Kernel module names treat `-` and `_` as the same character; this is the canonical spelling. */
export const normalizeModuleName = (name: string) => name.replace(/-/g, '_');

function unreadable(file: string, why: string): BringupError {
  return new BringupError('ERR_BRINGUP_MODULE_UNREADABLE', `${file}: ${why}`, { details: { file } });
}

/**
 * Parses the bytes of a `.modinfo` section: NUL-separated `key=value` strings.
 *
 * @example
 * ```ts
 * import { parseModinfo } from '@mos/bringup';
 * parseModinfo(Buffer.from('softdep=pre: crypto-crc32c\0depends=jbd2,mbcache\0name=ext4\0'));
 * // { name: 'ext4', depends: ['jbd2', 'mbcache'], aliases: [], softPre: ['crypto-crc32c'], softPost: [] }
 * ```
 */
export function parseModinfo(section: Uint8Array): ModInfo {
  const info: ModInfo = { depends: [], aliases: [], softPre: [], softPost: [] };
  for (const s of Buffer.from(section).toString('utf8').split('\0')) {
    const eq = s.indexOf('=');
    if (eq <= 0) continue;
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    if (key === 'name') info.name = normalizeModuleName(value);
    else if (key === 'depends') info.depends.push(...value.split(',').filter(Boolean).map(normalizeModuleName));
    else if (key === 'alias') info.aliases.push(value);
    else if (key === 'softdep') {
      // "pre: a b post: c": each keyword switches the list the following words go to.
      let into: string[] | undefined;
      for (const word of value.split(/\s+/).filter(Boolean)) {
        if (word === 'pre:') into = info.softPre;
        else if (word === 'post:') into = info.softPost;
        else into?.push(word);
      }
    }
  }
  return info;
}

/**
 * Reads the `.modinfo` section of a `.ko` file by walking its ELF section headers (64-bit
 * little-endian, the section found by name through the section-name string table). Only the
 * header, the section table, the name table and `.modinfo` are read, never the whole module.
 *
 * @example
 * ```ts
 * import { readModinfo } from '@mos/bringup';
 * (await readModinfo('/lib/modules/6.1.0-57-amd64/kernel/fs/ext4/ext4.ko')).softPre; // ['crypto-crc32c']
 * ```
 */
export async function readModinfo(file: string): Promise<ModInfo> {
  return readModinfoSync(file);
}

/**
 * {@link readModinfo}, synchronously. Resolving softdep aliases without `modules.alias` reads
 * every module of the tree (about 4,000); a few small synchronous reads per file take ~0.2 s
 * where the same reads through the promise API take ~2 s.
 *
 * @example
 * ```ts
 * import { readModinfoSync } from '@mos/bringup';
 * readModinfoSync('/lib/modules/6.1.0-57-amd64/kernel/crypto/crc32c_generic.ko').aliases; // ['crypto-crc32c', …]
 * ```
 */
export function readModinfoSync(file: string): ModInfo {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new BringupError('ERR_BRINGUP_MODULE_NOT_FOUND', `cannot read module ${file}: ${(e as Error).message}`, { cause: e, details: { file } });
  }
  try {
    const fileSize = fstatSync(fd).size;
    const readAt = (offset: number, length: number) => {
      if (offset < 0 || length < 0 || offset + length > fileSize) throw unreadable(file, 'ELF offsets point outside the file');
      const buf = Buffer.alloc(length);
      if (readSync(fd, buf, 0, length, offset) !== length) throw unreadable(file, 'short read');
      return buf;
    };
    if (fileSize < 64) throw unreadable(file, 'too short for an ELF header');
    const eh = readAt(0, 64);
    if (eh.readUInt32BE(0) !== 0x7f454c46) throw unreadable(file, 'not an ELF file (compressed modules are not supported)');
    if (eh[4] !== 2 || eh[5] !== 1) throw unreadable(file, 'not a 64-bit little-endian ELF file');
    const shoff = Number(eh.readBigUInt64LE(0x28));
    const shentsize = eh.readUInt16LE(0x3a);
    let shnum = eh.readUInt16LE(0x3c);
    let shstrndx = eh.readUInt16LE(0x3e);
    if (shentsize < 64) throw unreadable(file, `section header size ${shentsize}`);
    // Extended numbering: the real counts live in section 0 (sh_size, sh_link).
    if (shnum === 0 || shstrndx === 0xffff) {
      const s0 = readAt(shoff, 64);
      if (shnum === 0) shnum = Number(s0.readBigUInt64LE(32));
      if (shstrndx === 0xffff) shstrndx = s0.readUInt32LE(40);
    }
    if (shstrndx >= shnum) throw unreadable(file, 'no section name table');
    const table = readAt(shoff, shnum * shentsize);
    const section = (i: number) => ({
      name: table.readUInt32LE(i * shentsize),
      offset: Number(table.readBigUInt64LE(i * shentsize + 24)),
      size: Number(table.readBigUInt64LE(i * shentsize + 32)),
    });
    const strtab = section(shstrndx);
    const names = readAt(strtab.offset, strtab.size);
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      const end = names.indexOf(0, s.name);
      if (end < 0) continue;
      if (names.toString('latin1', s.name, end) === '.modinfo') return parseModinfo(readAt(s.offset, s.size));
    }
    throw unreadable(file, 'no .modinfo section (not a kernel module)');
  } finally {
    closeSync(fd);
  }
}
