import { BringupError } from '../errors';

/** What `root=soci:…` asks for (mos-original §2.11). */
export interface SociRoot {
  /** `mosboot` for an installed system, else the image to boot (`NAME[:TAG]`). */
  name: string;
  /** The boot device: `LABEL=…`, `UUID=…`, `ID=…`, `/dev/x` or a bare device name. */
  dev?: string;
  /** The OCI layout's directory on the boot device. Default `oci`. */
  path: string;
  /** `local` (the boot device's layout) or `HOST:PORT` of a registry. */
  repo?: string;
}

/** The kernel command line as bringup reads it. */
export interface BootCmdline {
  root: SociRoot;
  /** `rd.soci-debug`: log every step. */
  debug: boolean;
  /** `rd.mos.timeout=SECONDS`: how long to wait for boot devices. Default 60. */
  deviceTimeoutMs: number;
  /** `rd.mos.boot-tries=N`: boots of a state on trial for a hostfs/bootkit change before falling back. Default 3. */
  bootTries: number;
  /** `init=PATH`: the program the new root starts as PID 1. Default `/sbin/init`. */
  init: string;
}

/** What the new root runs when the command line names no `init=`. */
export const DEFAULT_INIT = '/sbin/init';

const KEYS = new Set(['name', 'dev', 'path', 'repo']);
const DEFAULT_DEVICE_TIMEOUT_S = 60;
const DEFAULT_BOOT_TRIES = 3;

/**
 * Splits a kernel command line into words as the kernel does: spaces separate, double quotes
 * group (`a="b c"` is one word, quotes removed).
 */
export function splitCmdline(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (const ch of text.trim()) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (any || cur) words.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (any || cur) words.push(cur);
  return words;
}

/**
 * Parses the command line bringup acts on: `root=soci:name=…[,dev=…][,path=…][,repo=…]`
 * (exactly mos-original §2.11: comma-separated `key=value`, the value may itself hold `=`, as in
 * `dev=LABEL=OCI-BOOT`), `rd.soci-debug`, `rd.mos.timeout=SECONDS` and `rd.mos.boot-tries=N`. Unknown keys, a missing
 * or empty name, a repeated key and a `root=` that is not `soci:` are errors: a boot that
 * misreads its instructions must not guess.
 *
 * @example
 * import { parseCmdline } from '@mos/bringup';
 * parseCmdline('console=ttyS0 root=soci:name=mosboot,repo=local').root
 * // → { name: 'mosboot', repo: 'local', path: 'oci' }
 */
export function parseCmdline(text: string): BootCmdline {
  const words = splitCmdline(text);
  const bad = (why: string, details: Record<string, unknown> = {}) =>
    new BringupError('ERR_BRINGUP_CMDLINE', `kernel command line: ${why}`, { details: { cmdline: text.trim(), ...details } });
  const roots = words.filter((w) => w.startsWith('root='));
  if (roots.length === 0) throw bad('no root=soci:… (this initrd boots mos systems only: root=soci:name=mosboot for an installed one)');
  // The kernel and every initrd take the last root= given; so do we.
  const root = roots[roots.length - 1].slice('root='.length);
  if (!root.startsWith('soci:')) throw bad(`root=${root} is not a soci: root; use root=soci:name=mosboot or root=soci:name=IMAGE,dev=…`);
  const fields: Record<string, string> = {};
  for (const part of root.slice('soci:'.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(`"${part}" in root=soci: is not key=value`, { part });
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!KEYS.has(key)) throw bad(`unknown key "${key}" in root=soci: (known: ${[...KEYS].join(', ')})`, { key });
    if (key in fields) throw bad(`key "${key}" given twice in root=soci:`, { key });
    if (!value) throw bad(`empty ${key}= in root=soci:`, { key });
    if (/[\0\n]/.test(value)) throw bad(`${key}= holds a control character`, { key });
    fields[key] = value;
  }
  if (!fields.name) throw bad('root=soci: needs name=… (mosboot for an installed system)');
  if (fields.path !== undefined && (fields.path.split('/').includes('..') || fields.path.startsWith('/'))) {
    throw bad(`path=${fields.path} must be a relative directory on the boot device`, { path: fields.path });
  }
  const timeouts = words.filter((w) => w.startsWith('rd.mos.timeout='));
  let deviceTimeoutMs = DEFAULT_DEVICE_TIMEOUT_S * 1000;
  if (timeouts.length) {
    const v = timeouts[timeouts.length - 1].slice('rd.mos.timeout='.length);
    if (!/^\d{1,5}$/.test(v) || Number(v) === 0) throw bad(`rd.mos.timeout=${v} is not a number of seconds (1..99999)`);
    deviceTimeoutMs = Number(v) * 1000;
  }
  const triesWords = words.filter((w) => w.startsWith('rd.mos.boot-tries='));
  let bootTries = DEFAULT_BOOT_TRIES;
  if (triesWords.length) {
    const v = triesWords[triesWords.length - 1].slice('rd.mos.boot-tries='.length);
    if (!/^\d{1,2}$/.test(v) || Number(v) === 0) throw bad(`rd.mos.boot-tries=${v} is not a number of boots (1..99)`);
    bootTries = Number(v);
  }
  // The kernel leaves init= to the initramfs; the last one counts, as the kernel's own would.
  const inits = words.filter((w) => w.startsWith('init='));
  const init = inits.length ? inits[inits.length - 1].slice('init='.length) : DEFAULT_INIT;
  if (!/^\/[A-Za-z0-9._+\/-]*$/.test(init) || init.split('/').some((seg) => seg === '..')) {
    throw bad(`init=${init} must be an absolute path in the new root (letters, digits, . _ + - /, no ..)`, { init });
  }
  return {
    root: { name: fields.name, path: fields.path ?? 'oci', ...(fields.dev ? { dev: fields.dev } : {}), ...(fields.repo ? { repo: fields.repo } : {}) },
    debug: words.includes('rd.soci-debug'),
    deviceTimeoutMs,
    bootTries,
    init,
  };
}
