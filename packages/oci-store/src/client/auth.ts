import { RegistryAuthError, RegistryInsecureError } from '../errors';
import { readAll } from '../lib/read-all';
import { parseChallenge } from './challenge';
import type { CredentialResolver, Credentials } from './credentials';
import { discardBody, isLoopbackHost, type Transport } from './http';

interface HostState {
  scheme?: 'basic' | 'bearer';
  realm?: string;
  service?: string;
}

interface Token {
  value: string;
  expires: number;
}

/**
 * The auth dance of one registry (distribution `token.md`): anonymous until a 401; then Basic
 * with credentials, or a Bearer token from the challenge's realm for the request's scopes
 * (with Basic credentials when we have them). Tokens are cached per (realm, service, scopes)
 * until shortly before they expire. Plain-http realms are refused unless loopback/insecure.
 */
export class Authenticator {
  private readonly state: HostState = {};
  private readonly tokens = new Map<string, Token>();
  private creds?: Promise<Credentials | undefined>;

  constructor(
    private readonly registry: string,
    private readonly transport: Transport,
    private readonly resolveCreds: CredentialResolver | undefined,
    private readonly insecure: boolean,
  ) {}

  private credentials(): Promise<Credentials | undefined> {
    return (this.creds ??= this.resolveCreds ? this.resolveCreds(this.registry) : Promise.resolve(undefined));
  }

  /** The Authorization header to send for `scopes`, if one is known already. */
  async header(scopes: string[]): Promise<string | undefined> {
    if (this.state.scheme === 'basic') {
      const c = await this.credentials();
      return c ? basic(c) : undefined;
    }
    if (this.state.scheme === 'bearer') {
      const t = this.tokens.get(this.key(scopes));
      if (t && t.expires > Date.now()) return `Bearer ${t.value}`;
    }
    return undefined;
  }

  /**
   * Handles a 401: learns the scheme from `WWW-Authenticate` and obtains what the retry needs.
   * Throws `ERR_OCI_REGISTRY_AUTH` when there is nothing more to try.
   */
  async onUnauthorized(wwwAuthenticate: string | undefined, scopes: string[], signal?: AbortSignal): Promise<void> {
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch || (ch.scheme !== 'basic' && ch.scheme !== 'bearer')) {
      throw new RegistryAuthError(`${this.registry} refused the request (401) without a usable challenge`, { registry: this.registry, challenge: wwwAuthenticate });
    }
    if (ch.scheme === 'basic') {
      const c = await this.credentials();
      if (!c || this.state.scheme === 'basic') {
        throw new RegistryAuthError(c ? `${this.registry} rejected the credentials` : `${this.registry} requires credentials (use --creds or a docker config.json)`, { registry: this.registry });
      }
      this.state.scheme = 'basic';
      return;
    }
    this.state.scheme = 'bearer';
    this.state.realm = ch.params.realm;
    this.state.service = ch.params.service;
    const wanted = new Set(scopes);
    if (ch.params.scope) for (const s of ch.params.scope.split(' ')) wanted.add(s);
    const all = [...wanted];
    await this.fetchToken(all, signal);
    // The request retries with `scopes`; alias the token under that key too.
    const t = this.tokens.get(this.key(all));
    if (t) this.tokens.set(this.key(scopes), t);
  }

  private key(scopes: string[]): string {
    return `${this.state.realm}|${this.state.service}|${[...scopes].sort().join(' ')}`;
  }

  private async fetchToken(scopes: string[], signal?: AbortSignal): Promise<void> {
    const realm = this.state.realm;
    if (!realm) throw new RegistryAuthError(`${this.registry} sent a Bearer challenge without a realm`, { registry: this.registry });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`${this.registry} sent an invalid token realm ${realm}`, { registry: this.registry });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (this.insecure || isLoopbackHost(url.hostname)))) {
      throw new RegistryInsecureError(`token realm ${realm} is not https (use --insecure to allow)`, { realm });
    }
    if (this.state.service) url.searchParams.set('service', this.state.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const c = await this.credentials();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (c) headers.authorization = basic(c);
    let res;
    try {
      res = await this.transport({ method: 'GET', url, headers, signal });
    } catch (e) {
      throw new RegistryAuthError(`token request to ${url.host} failed: ${(e as Error).message}`, { realm }, { cause: e });
    }
    if (res.status !== 200) {
      await discardBody(res);
      throw new RegistryAuthError(`token endpoint ${url.host} answered ${res.status}${c ? ' (credentials rejected?)' : ' (credentials needed?)'}`, { realm, status: res.status });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse((await readAll(res.body, 1 << 20, 'token response')).toString('utf8'));
    } catch (e) {
      throw new RegistryAuthError(`token endpoint ${url.host} sent an unreadable response`, { realm }, { cause: e });
    }
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryAuthError(`token endpoint ${url.host} sent no token`, { realm });
    const life = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000;
    this.tokens.set(this.key(scopes), { value, expires: Date.now() + Math.max(1000, life - 10_000) });
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
