import { BadWhiteoutError, SourceChangedError } from '../errors';
import { normalizeMemberPath } from '../lib/paths';
import { readTar, type TarHeader } from './tar-reader';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-writer';

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** The xattr overlayfs (mounted with `userxattr`) reads to hide a lower dir's children. */
export const OPAQUE_XATTR = 'user.overlay.opaque';

/** What pass 1 learns about a layer tar, so pass 2 can emit a squashfs-ready tar in one go. */
export interface TarPlan {
  /** Root dir attributes (the "./" entry), if the tar has one. */
  root: TarHeader | null;
  /** Last explicit header of each directory. */
  dirs: Map<string, TarHeader>;
  /** Dirs to mark opaque (from `.wh..wh..opq`, or a whiteout of a dir this layer re-creates). */
  opaque: Set<string>;
  /** Paths to turn into 0/0 char devices (whiteouts of paths this layer does not write). */
  whiteouts: Map<string, TarHeader>;
  /** How many times each non-dir path occurs (tar semantics: the last one wins). */
  occurrences: Map<string, number>;
  entries: number;
}

type Classified = { kind: 'root' } | { kind: 'opaque'; dir: string } | { kind: 'whiteout'; target: string } | { kind: 'plain'; path: string };

function classify(h: TarHeader): Classified {
  const path = normalizeMemberPath(h.name);
  if (path === '') return { kind: 'root' };
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE) return { kind: 'opaque', dir };
  if (!base.startsWith(WH)) return { kind: 'plain', path };
  const name = base.slice(WH.length);
  if (name === '' || name.startsWith(WH) || name === '.' || name === '..') {
    throw new BadWhiteoutError(`whiteout ${JSON.stringify(h.name)} names nothing it can delete`, { name: h.name });
  }
  return { kind: 'whiteout', target: dir ? `${dir}/${name}` : name };
}

/**
 * Pass 1: reads every header (data is skipped) and plans the conversion of OCI whiteouts to
 * overlay form (formats.md §4.1, §5): `.wh.NAME` → a 0/0 char device unless this layer writes
 * NAME itself (umoci's rule), in which case a re-created directory becomes opaque instead;
 * `.wh..wh..opq` → `user.overlay.opaque=y` on its directory. Hostile names fail here, before
 * anything is written.
 */
export async function planTar(src: AsyncIterable<Buffer>): Promise<TarPlan> {
  const plan: TarPlan = { root: null, dirs: new Map(), opaque: new Set(), whiteouts: new Map(), occurrences: new Map(), entries: 0 };
  const written = new Set<string>();
  const parents = new Set<string>();
  for await (const ev of readTar(src)) {
    if (ev.kind !== 'entry') continue;
    plan.entries++;
    const h = ev.header;
    if (h.type === '1') normalizeMemberPath(h.linkname, 'hard link target');
    const c = classify(h);
    if (c.kind === 'root') plan.root = h;
    else if (c.kind === 'opaque') {
      // The layer root has no directory entry mksquashfs keeps, so it cannot carry the xattr.
      if (c.dir === '') throw new BadWhiteoutError('an opaque marker at the layer root is not supported', { name: h.name });
      plan.opaque.add(c.dir);
    }
    else if (c.kind === 'whiteout') plan.whiteouts.set(c.target, h);
    else {
      written.add(c.path);
      for (let i = c.path.indexOf('/'); i > 0; i = c.path.indexOf('/', i + 1)) parents.add(c.path.slice(0, i));
      if (h.type === '5') plan.dirs.set(c.path, h);
      else plan.occurrences.set(c.path, (plan.occurrences.get(c.path) ?? 0) + 1);
    }
  }
  for (const target of [...plan.whiteouts.keys()]) {
    if (plan.dirs.has(target) || parents.has(target)) {
      // Delete-then-recreate of a directory in one layer is, in overlay terms, an opaque dir.
      plan.opaque.add(target);
      plan.whiteouts.delete(target);
    } else if (written.has(target)) plan.whiteouts.delete(target); // this layer's own file wins
  }
  return plan;
}

const emptyDir = (path: string, mtime: number): TarHeader => ({
  name: path,
  type: '5',
  mode: 0o755,
  uid: 0,
  gid: 0,
  size: 0,
  mtime,
  linkname: '',
  devmajor: 0,
  devminor: 0,
  xattrs: {},
});

/**
 * Pass 2: re-reads the tar and yields the converted archive for `mksquashfs -tar`. Directory
 * headers are emitted before anything inside them (mksquashfs ignores a dir entry that comes
 * after its children), carrying the opaque xattr where planned; `*.overlay.*` xattrs from the
 * input are dropped so a tar cannot smuggle in overlay redirects.
 */
export async function* rewriteTar(src: AsyncIterable<Buffer>, plan: TarPlan): AsyncGenerator<Buffer> {
  const emitted = new Set<string>();
  const seen = new Map<string, number>();
  let skipping = false;
  let current: TarHeader | null = null;

  function* dirHeader(path: string, mtime: number): Generator<Buffer> {
    if (emitted.has(path)) return;
    emitted.add(path);
    const h = plan.dirs.get(path) ?? emptyDir(path, mtime);
    const xattrs = cleanXattrs(h.xattrs);
    if (plan.opaque.has(path)) xattrs[OPAQUE_XATTR] = Buffer.from('y');
    yield encodeHeader({ ...h, name: `${path}/`, size: 0, xattrs });
  }
  function* ancestors(path: string, mtime: number): Generator<Buffer> {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      const a = path.slice(0, i);
      if (plan.dirs.has(a) || plan.opaque.has(a)) yield* dirHeader(a, mtime);
    }
  }

  for await (const ev of readTar(src)) {
    if (ev.kind === 'data') {
      if (!skipping) yield ev.chunk;
      continue;
    }
    if (current && !skipping && current.size > 0) yield Buffer.alloc(padding(current.size));
    const h = ev.header;
    current = h;
    skipping = true;
    const c = classify(h);
    if (c.kind === 'root') continue;
    if (c.kind === 'opaque') {
      yield* ancestors(c.dir, h.mtime);
      yield* dirHeader(c.dir, h.mtime);
      continue;
    }
    if (c.kind === 'whiteout') {
      if (!plan.whiteouts.has(c.target) && !plan.opaque.has(c.target)) continue;
      yield* ancestors(c.target, h.mtime);
      if (plan.opaque.has(c.target)) yield* dirHeader(c.target, h.mtime);
      else if (!emitted.has(c.target)) {
        emitted.add(c.target);
        yield encodeHeader({ ...h, name: c.target, type: '3', mode: 0, uid: 0, gid: 0, size: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: {} });
      }
      continue;
    }
    yield* ancestors(c.path, h.mtime);
    if (h.type === '5') {
      if (!plan.dirs.has(c.path)) throw new SourceChangedError(`${c.path}: not seen in the first pass`, { path: c.path });
      yield* dirHeader(c.path, h.mtime);
      continue;
    }
    const total = plan.occurrences.get(c.path);
    if (total === undefined) throw new SourceChangedError(`${c.path}: not seen in the first pass`, { path: c.path });
    const n = (seen.get(c.path) ?? 0) + 1;
    seen.set(c.path, n);
    if (n < total) continue; // an earlier copy that a later entry replaces
    skipping = false;
    const linkname = h.type === '1' ? normalizeMemberPath(h.linkname, 'hard link target') : h.linkname;
    yield encodeHeader({ ...h, name: c.path, linkname, xattrs: cleanXattrs(h.xattrs) });
  }
  if (current && !skipping && current.size > 0) yield Buffer.alloc(padding(current.size));
  for (const dir of plan.opaque) yield* dirHeader(dir, 0); // opaque dirs nothing else mentioned
  yield END_OF_ARCHIVE;
}

function cleanXattrs(x: Record<string, Buffer>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(x)) if (!/^[a-z]+\.overlay\./.test(k)) out[k] = v;
  return out;
}
