import { BadTarError } from '../errors';

/** One tar entry with its pax / GNU long-name extensions already applied. */
export interface TarHeader {
  /** The name as stored (before normalisation). */
  name: string;
  /** Type flag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo. */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax `SCHILY.xattr.*` records (values are raw bytes). */
  xattrs: Record<string, Buffer>;
}

/** What the parser yields: an entry's header, then its data in pieces (no padding). */
export type TarEvent = { kind: 'entry'; header: TarHeader } | { kind: 'data'; chunk: Buffer };

const BLOCK = 512;
// Extension records (pax headers, GNU long names) are buffered; anything bigger is hostile.
const MAX_META = 1024 * 1024;

/**
 * Streams a tar archive (ustar, pax and GNU long names) into entry and data events. Data
 * chunks are views of the input chunks, so memory stays bounded whatever the entry sizes.
 * Sparse and multi-volume archives are refused with {@link BadTarError}.
 */
export async function* readTar(src: AsyncIterable<Buffer>): AsyncGenerator<TarEvent> {
  let pending = Buffer.alloc(0);
  let dataLeft = 0; // bytes of the current entry's data still to pass on
  let skip = 0; // padding after the data
  let meta: { type: string; size: number; parts: Buffer[]; got: number } | null = null;
  let ext: Partial<TarHeader> = {};
  let global: Record<string, Buffer> = {};
  let ended = false;
  let offset = 0;

  for await (const input of src) {
    let buf = pending.length ? Buffer.concat([pending, input]) : input;
    pending = Buffer.alloc(0);
    while (buf.length > 0 && !ended) {
      if (dataLeft > 0) {
        const n = Math.min(dataLeft, buf.length);
        const chunk = buf.subarray(0, n);
        dataLeft -= n;
        buf = buf.subarray(n);
        offset += n;
        if (meta) {
          meta.parts.push(Buffer.from(chunk));
          meta.got += n;
          if (dataLeft === 0) {
            ({ ext, global } = applyMeta(meta.type, Buffer.concat(meta.parts), ext, global, offset));
            meta = null;
          }
        } else yield { kind: 'data', chunk };
        continue;
      }
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        skip -= n;
        buf = buf.subarray(n);
        offset += n;
        continue;
      }
      if (buf.length < BLOCK) {
        pending = Buffer.from(buf);
        break;
      }
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      const at = offset;
      offset += BLOCK;
      if (block.every((b) => b === 0)) {
        ended = true; // end-of-archive marker; whatever follows is ignored, as tar does
        break;
      }
      const h = parseHeader(block, at);
      if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
        if (h.size > MAX_META) throw new BadTarError(`tar extension header of ${h.size} bytes at offset ${at}`, { offset: at });
        meta = { type: h.type, size: h.size, parts: [], got: 0 };
        dataLeft = h.size;
        skip = (BLOCK - (h.size % BLOCK)) % BLOCK;
        if (h.size === 0) {
          ({ ext, global } = applyMeta(h.type, Buffer.alloc(0), ext, global, at));
          meta = null;
        }
        continue;
      }
      if (h.type === 'S' || h.type === 'M' || h.type === 'V') {
        throw new BadTarError(`unsupported tar entry type ${JSON.stringify(h.type)} (sparse or multi-volume) at offset ${at}`, { offset: at });
      }
      const header: TarHeader = { ...h, ...withGlobal(global), ...ext, xattrs: { ...(ext.xattrs ?? {}) } };
      ext = {};
      // Links and dirs carry no data even if a size is set: skip whatever the archive stored.
      const stored = header.size;
      const pad = (BLOCK - (stored % BLOCK)) % BLOCK;
      const hasData = !(header.type === '5' || header.type === '1' || header.type === '2');
      dataLeft = hasData ? stored : 0;
      skip = hasData ? pad : stored + pad;
      if (!hasData) header.size = 0;
      yield { kind: 'entry', header };
    }
    if (ended) break;
  }
  if (!ended && (dataLeft > 0 || skip > 0 || meta || pending.length > 0)) {
    throw new BadTarError(`tar archive ends inside an entry (offset ${offset})`, { offset });
  }
}

function withGlobal(g: Record<string, Buffer>): Partial<TarHeader> {
  const out: Partial<TarHeader> = {};
  if (g.uid) out.uid = Number(g.uid.toString());
  if (g.gid) out.gid = Number(g.gid.toString());
  if (g.mtime) out.mtime = Math.floor(Number(g.mtime.toString()));
  return out;
}

function parseHeader(b: Buffer, at: number): Omit<TarHeader, 'xattrs'> {
  const stored = readNumber(b, 148, 8, at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  if (stored !== sum) throw new BadTarError(`bad tar header checksum at offset ${at}`, { offset: at });
  const magic = b.toString('latin1', 257, 263);
  const str = (o: number, l: number) => {
    const s = b.subarray(o, o + l);
    const z = s.indexOf(0);
    return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
  };
  let name = str(0, 100);
  // POSIX ustar splits long names into prefix/name; GNU tar uses those bytes for other fields.
  if (magic === 'ustar\0') {
    const prefix = str(345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const type = b[156] === 0 ? '0' : String.fromCharCode(b[156]);
  return {
    name,
    type: type === '7' ? '0' : type,
    mode: readNumber(b, 100, 8, at) & 0o7777,
    uid: readNumber(b, 108, 8, at),
    gid: readNumber(b, 116, 8, at),
    size: readNumber(b, 124, 12, at),
    mtime: readNumber(b, 136, 12, at),
    linkname: str(157, 100),
    devmajor: magic.startsWith('ustar') ? readNumber(b, 329, 8, at) : 0,
    devminor: magic.startsWith('ustar') ? readNumber(b, 337, 8, at) : 0,
  };
}

/** Octal ASCII, or GNU base-256 when the top bit of the first byte is set. */
function readNumber(b: Buffer, o: number, l: number, at: number): number {
  if (b[o] & 0x80) {
    let v = BigInt(b[o] & 0x3f);
    for (let i = 1; i < l; i++) v = (v << 8n) | BigInt(b[o + i]);
    if (b[o] & 0x40 || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BadTarError(`tar number out of range at offset ${at + o}`, { offset: at });
    return Number(v);
  }
  const s = b.toString('latin1', o, o + l).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new BadTarError(`bad tar number ${JSON.stringify(s)} at offset ${at + o}`, { offset: at });
  return parseInt(s, 8);
}

function applyMeta(type: string, data: Buffer, ext: Partial<TarHeader>, global: Record<string, Buffer>, at: number) {
  if (type === 'L' || type === 'K') {
    const z = data.indexOf(0);
    const v = (z < 0 ? data : data.subarray(0, z)).toString('utf8');
    return { ext: { ...ext, [type === 'L' ? 'name' : 'linkname']: v }, global };
  }
  const recs = parsePax(data, at);
  if (type === 'g') return { ext, global: { ...global, ...recs } };
  const next: Partial<TarHeader> & { xattrs: Record<string, Buffer> } = { ...ext, xattrs: { ...(ext.xattrs ?? {}) } };
  for (const [k, raw] of Object.entries(recs)) {
    const v = raw.toString('utf8');
    if (k === 'path') next.name = v;
    else if (k === 'linkpath') next.linkname = v;
    else if (k === 'size') next.size = decimal(v, k, at);
    else if (k === 'uid') next.uid = decimal(v, k, at);
    else if (k === 'gid') next.gid = decimal(v, k, at);
    else if (k === 'mtime') next.mtime = Math.floor(Number(v));
    else if (k.startsWith('SCHILY.xattr.')) next.xattrs[k.slice('SCHILY.xattr.'.length)] = raw;
    else if (k.startsWith('GNU.sparse.')) throw new BadTarError(`sparse tar entries are not supported (offset ${at})`, { offset: at });
  }
  return { ext: next, global };
}

function decimal(v: string, k: string, at: number): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new BadTarError(`bad pax ${k}=${JSON.stringify(v)} (offset ${at})`, { offset: at });
  return Number(v);
}

/** Pax records: "<len> <key>=<value>\n", where len counts the whole record. */
function parsePax(data: Buffer, at: number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break;
    const sp = data.indexOf(0x20, i);
    const len = sp < 0 ? NaN : Number(data.toString('latin1', i, sp));
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw new BadTarError(`bad pax record at offset ${at}`, { offset: at });
    }
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new BadTarError(`bad pax record at offset ${at}`, { offset: at });
    out[rec.toString('utf8', 0, eq)] = Buffer.from(rec.subarray(eq + 1));
    i += len;
  }
  return out;
}
