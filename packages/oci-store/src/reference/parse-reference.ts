import { InvalidReferenceError } from '../errors';
import { parseDigest } from '../format/digest';
import { assertLayoutTag, assertRegistryTag, assertRepoName } from '../format/names';

/** A local layout: `oci:DIR[:TAG]` (DIR may not contain `:`; TAG may, e.g. `sha256:<hex>`). */
export interface LayoutReference {
  transport: 'oci';
  dir: string;
  /** Absent: the layout's only image (source) or an untagged entry (destination). */
  tag?: string;
}

/** A repository on a registry, by tag or digest. */
export interface RegistryReference {
  transport: 'docker';
  /** `host[:port]` as written (Docker Hub names normalise to `docker.io`). */
  registry: string;
  /** Repository name, e.g. `mos` or `machine/install`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** Forced by an `http://` or `https://` prefix; otherwise chosen by the client. */
  scheme?: 'http' | 'https';
}

/** Any image reference. */
export type ImageReference = LayoutReference | RegistryReference;

/**
 * Parses `oci:DIR[:TAG]`, `docker://host[:port]/name[:tag|@digest]`, `http(s)://host:port/name:tag`
 * and the original's bare `host:port/name:tag`. A registry reference without tag or digest
 * gets tag `latest`. Hostile input is `ERR_OCI_INVALID_REFERENCE`.
 *
 * @example
 * import { parseReference } from '@mos/oci-store';
 * parseReference('oci:/var/store/mos:sha256:ab…');  // { transport: 'oci', dir: '/var/store/mos', tag: 'sha256:ab…' }
 * parseReference('127.0.0.1:5000/mos:1.0');         // { transport: 'docker', registry: '127.0.0.1:5000', repository: 'mos', tag: '1.0' }
 */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 4096 || ref.includes('\0')) {
    throw new InvalidReferenceError('empty or invalid image reference', { ref: String(ref).slice(0, 200) });
  }
  try {
    if (ref.startsWith('oci:')) return parseLayoutRef(ref);
    if (ref.startsWith('docker://')) return parseRegistryRef(ref.slice('docker://'.length), undefined, true);
    if (ref.startsWith('http://')) return parseRegistryRef(ref.slice('http://'.length), 'http', false);
    if (ref.startsWith('https://')) return parseRegistryRef(ref.slice('https://'.length), 'https', false);
    if (/^[^/]+\/./.test(ref) && !ref.includes('://')) return parseRegistryRef(ref, undefined, false);
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw e;
    throw new InvalidReferenceError(`invalid image reference "${ref.slice(0, 200)}": ${(e as Error).message}`, { ref: ref.slice(0, 200) }, { cause: e });
  }
  throw new InvalidReferenceError(`unknown image reference "${ref.slice(0, 200)}" (want oci:DIR:TAG or docker://HOST/NAME:TAG)`, { ref: ref.slice(0, 200) });
}

function parseLayoutRef(ref: string): LayoutReference {
  // SplitN(":", 3) like containers/image: the directory may not contain ':', the tag may.
  const rest = ref.slice('oci:'.length);
  const i = rest.indexOf(':');
  const dir = i < 0 ? rest : rest.slice(0, i);
  const tag = i < 0 ? undefined : rest.slice(i + 1);
  if (dir === '') throw new InvalidReferenceError(`"${ref}" has no directory`, { ref });
  if (tag !== undefined) assertLayoutTag(tag);
  return tag === undefined ? { transport: 'oci', dir } : { transport: 'oci', dir, tag };
}

function parseRegistryRef(s: string, scheme: 'http' | 'https' | undefined, normaliseHub: boolean): RegistryReference {
  let name = s;
  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    name = s.slice(0, at);
    parseDigest(digest);
  }
  const slash = name.indexOf('/');
  let registry: string;
  let path: string;
  const first = slash < 0 ? name : name.slice(0, slash);
  if (slash >= 0 && (!normaliseHub || /[.:]/.test(first) || first === 'localhost')) {
    registry = first;
    path = name.slice(slash + 1);
  } else if (normaliseHub) {
    registry = 'docker.io';
    path = slash < 0 ? `library/${name}` : name;
  } else {
    throw new InvalidReferenceError(`"${s}" has no registry host`, { ref: s });
  }
  if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-fA-F:.]+\](:[0-9]{1,5})?$/.test(registry)) {
    throw new InvalidReferenceError(`invalid registry host "${registry}"`, { ref: s });
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    assertRegistryTag(tag);
  }
  assertRepoName(path);
  const out: RegistryReference = { transport: 'docker', registry, repository: path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  if (tag === undefined && digest === undefined) out.tag = 'latest';
  if (scheme) out.scheme = scheme;
  return out;
}

/** Formats a reference back to its canonical string (`oci:DIR:TAG`, `docker://host/name:tag@digest`). */
export function formatReference(ref: ImageReference): string {
  if (ref.transport === 'oci') return ref.tag === undefined ? `oci:${ref.dir}` : `oci:${ref.dir}:${ref.tag}`;
  return `docker://${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
