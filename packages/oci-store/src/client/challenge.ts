/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="a:b:pull,push"` (quoted
 * values may hold commas and escaped quotes). Only the first challenge is used.
 */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/gy;
  let p: RegExpExecArray | null;
  const rest = m[2];
  re.lastIndex = 0;
  while (re.lastIndex < rest.length && (p = re.exec(rest))) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** The scope string a registry token covers: `repository:<name>:<actions>`. */
export function repositoryScope(name: string, actions: Array<'pull' | 'push' | 'delete' | '*'>): string {
  return `repository:${name}:${actions.join(',')}`;
}
