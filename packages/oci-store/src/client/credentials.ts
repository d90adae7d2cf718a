import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors';

/** A user name and password (or token used as password) for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** Finds credentials for a registry host (`host[:port]`); undefined means anonymous. */
export type CredentialResolver = (registry: string) => Promise<Credentials | undefined>;

/** Where {@link credentialResolver} looks. */
export interface CredentialSources {
  /** `user:pass` from `--creds`; used for every registry. Default none. */
  creds?: string;
  /** Environment: `MOS_REGISTRY_CREDS` (`user:pass`) or `MOS_REGISTRY_USERNAME`/`MOS_REGISTRY_PASSWORD`, `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Docker-style `config.json`/`auth.json` files to read, first match wins. Default: from `env` and `~/.docker/config.json`. */
  configFiles?: string[];
}

/** Parses `user:pass` (the password may contain `:`). */
export function parseCreds(s: string): Credentials {
  const i = s.indexOf(':');
  if (i <= 0) throw new InvalidArgumentError('credentials must be "user:password"');
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

/** The docker config files that apply in `env`, in lookup order. */
export function defaultConfigFiles(env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'));
  return files;
}

/** The keys a config's `auths` may use for `registry`. */
function keysFor(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === 'docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** Credentials for `registry` from one parsed docker config (`auths.<key>.auth` or username/password). */
export function fromDockerConfig(config: unknown, registry: string): Credentials | undefined {
  const auths = (config as { auths?: Record<string, { auth?: string; username?: string; password?: string }> })?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  for (const k of keysFor(registry)) {
    const e = auths[k];
    if (!e) continue;
    if (typeof e.auth === 'string' && e.auth) {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      if (decoded.includes(':')) return parseCreds(decoded);
    }
    if (typeof e.username === 'string' && typeof e.password === 'string') return { username: e.username, password: e.password };
  }
  return undefined;
}

/**
 * Credentials from, in order: `--creds`, the environment, docker-style config files
 * (`auths` entries; credential helpers are not run). Files are read once.
 *
 * @example
 * import { credentialResolver } from '@mos/oci-store';
 * const creds = credentialResolver({ creds: 'u:p' });
 */
export function credentialResolver(src: CredentialSources = {}): CredentialResolver {
  const env = src.env ?? process.env;
  const explicit = src.creds !== undefined ? parseCreds(src.creds) : undefined;
  const fromEnv = env.MOS_REGISTRY_CREDS
    ? parseCreds(env.MOS_REGISTRY_CREDS)
    : env.MOS_REGISTRY_USERNAME && env.MOS_REGISTRY_PASSWORD !== undefined
      ? { username: env.MOS_REGISTRY_USERNAME, password: env.MOS_REGISTRY_PASSWORD } : undefined;
  let configs: Promise<unknown[]> | undefined;
  const load = () =>
    (configs ??= Promise.all((src.configFiles ?? defaultConfigFiles(env)).map((f) =>
      fsp.readFile(f, 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined))));
  return async (registry) => {
    if (explicit) return explicit;
    if (fromEnv) return fromEnv;
    for (const c of await load()) {
      const hit = c ? fromDockerConfig(c, registry) : undefined;
      if (hit) return hit;
    }
    return undefined;
  };
}
