import type { Readable } from 'node:stream';
import { AbortedError, OciStoreError, RegistryAuthError, RegistryInsecureError, RegistryUnreachableError } from '../errors';
import { Authenticator } from './auth';
import type { CredentialResolver } from './credentials';
import { discardBody, header, isLoopbackHost, nodeTransport, type HttpResponse, type Transport, type TransportOptions } from './http';
import { backoffDelay, isConnectionError, isRetryableStatus, type RetryOptions } from './retry';
import { wireError } from './wire-error';

/** Options of a registry client (and of every remote operation). */
export interface ClientOptions extends TransportOptions, RetryOptions {
  /** Allow plain http to non-loopback hosts and skip TLS verification. Default false. */
  insecure?: boolean;
  /** Force a scheme; default: https, falling back to http for loopback (or insecure) hosts that do not speak TLS. */
  scheme?: 'http' | 'https';
  /** Where credentials come from. Default: anonymous. */
  credentials?: CredentialResolver;
  /** The HTTP seam (tests). Default: node's http/https. */
  transport?: Transport;
  /** Called before each retry (for logs and progress). Default: none. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
}

/** One request through {@link RegistryClient.send}. */
export interface ClientRequest {
  method: string;
  /** A path (`/v2/…`) on the registry, or an absolute URL (upload locations, redirects). */
  path: string | URL;
  headers?: Record<string, string | number>;
  /** Replayable body; a stream body disables retries after the first byte is sent. */
  body?: Buffer | Readable;
  /** Token scopes the request needs (`repository:mos:pull`). */
  scopes: string[];
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The HTTP client of one registry host: scheme choice and the http policy (plain http only to
 * loopback, or with `insecure`), the auth dance, redirects (Authorization is not forwarded to
 * another host), and retries with backoff on connection errors, 5xx and 429. Callers get the
 * final response and check its status; {@link RegistryClient.fail} turns one into a
 * `RegistryError`.
 */
export class RegistryClient {
  readonly auth: Authenticator;
  private readonly transport: Transport & { close?: () => void };
  private base?: Promise<URL>;

  constructor(readonly registry: string, readonly opts: ClientOptions = {}) {
    this.transport = opts.transport ?? nodeTransport(opts);
    this.auth = new Authenticator(registry, this.transport, opts.credentials, opts.insecure ?? false);
  }

  /** The host requests go to (`docker.io` is served by `registry-1.docker.io`). */
  get apiHost(): string {
    return this.registry === 'docker.io' ? 'registry-1.docker.io' : this.registry;
  }

  /** Frees sockets (keep-alive agents). */
  close(): void {
    this.transport.close?.();
  }

  private loopback(): boolean {
    return isLoopbackHost(new URL(`http://${this.apiHost}`).hostname);
  }

  /** Decides http or https once, probing `/v2/` when the scheme is not forced. */
  baseUrl(signal?: AbortSignal): Promise<URL> {
    return (this.base ??= this.chooseScheme(signal).catch((e) => {
      this.base = undefined;
      throw e;
    }));
  }

  private async chooseScheme(signal?: AbortSignal): Promise<URL> {
    const httpOk = this.opts.insecure || this.loopback();
    if (this.opts.scheme === 'http') {
      if (!httpOk) throw new RegistryInsecureError(`refusing plain http to ${this.registry} (not loopback; use --insecure)`, { registry: this.registry });
      return new URL(`http://${this.apiHost}`);
    }
    const https = new URL(`https://${this.apiHost}`);
    if (this.opts.scheme === 'https' || !httpOk) return https;
    try {
      const res = await this.transport({ method: 'GET', url: new URL('/v2/', https), signal });
      await discardBody(res);
      return https;
    } catch (e) {
      const msg = `${(e as Error).message} ${(e as { code?: string }).code ?? ''}`;
      // The server speaks plain http on this port (TLS handshake failed with a protocol error).
      if (/EPROTO|wrong version number|WRONG_VERSION|packet length too long|ECONNRESET|socket hang up/i.test(msg)) return new URL(`http://${this.apiHost}`);
      throw new RegistryUnreachableError(`cannot reach ${this.registry}: ${(e as Error).message}`, { registry: this.registry }, { cause: e });
    }
  }

  /** Sends a request with auth, redirects and retries; returns the final response. */
  async send(req: ClientRequest): Promise<HttpResponse> {
    const base = await this.baseUrl(req.signal);
    let url = typeof req.path === 'string' ? new URL(req.path, base) : req.path;
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    const retries = this.opts.retries ?? 5;
    let attempt = 0;
    let authTries = 0;
    let redirects = 0;
    for (;;) {
      if (req.signal?.aborted) throw new AbortedError('request aborted');
      this.assertScheme(url);
      const sameHost = url.host === base.host;
      const headers: Record<string, string | number> = { 'user-agent': 'mos-oci-store/0.1', ...(req.headers ?? {}) };
      const authz = sameHost ? await this.auth.header(req.scopes) : undefined;
      if (authz) headers.authorization = authz;
      let res: HttpResponse;
      try {
        res = await this.transport({ method: req.method, url, headers, body: req.body, signal: req.signal });
      } catch (e) {
        if (req.signal?.aborted) throw new AbortedError('request aborted', {}, { cause: e });
        if (e instanceof OciStoreError) throw e; // e.g. the body stream failed verification
        if (isConnectionError(e) && replayable && attempt < retries) {
          await this.pause(attempt++, `${(e as Error).message}`, url);
          continue;
        }
        throw new RegistryUnreachableError(`${req.method} ${url.host}${url.pathname} failed: ${(e as Error).message}`, { registry: this.registry, url: url.toString() }, { cause: e });
      }
      if (res.status === 401 && sameHost && replayable && authTries < 2) {
        await discardBody(res);
        authTries++;
        await this.auth.onUnauthorized(header(res, 'www-authenticate'), req.scopes, req.signal);
        continue;
      }
      if (res.status === 401) {
        const err = await wireError(res, `${req.method} ${url.pathname}`);
        throw new RegistryAuthError(`${this.registry}: not authorized (${err.message})`, { registry: this.registry, status: 401 }, { cause: err });
      }
      if (REDIRECTS.has(res.status) && (req.method === 'GET' || req.method === 'HEAD') && redirects < 5) {
        const loc = header(res, 'location');
        await discardBody(res);
        if (loc) {
          redirects++;
          url = new URL(loc, url);
          continue;
        }
      }
      if (isRetryableStatus(res.status) && replayable && attempt < retries) {
        const ra = header(res, 'retry-after');
        await discardBody(res);
        await this.pause(attempt++, `HTTP ${res.status}`, url, ra);
        continue;
      }
      return res;
    }
  }

  /** Turns an unexpected response into a RegistryError (reads the error body). */
  async fail(res: HttpResponse, what: string): Promise<never> {
    throw await wireError(res, `${what} at ${this.registry}`);
  }

  private assertScheme(url: URL): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && (this.opts.insecure || isLoopbackHost(url.hostname))) return;
    throw new RegistryInsecureError(`refusing ${url.protocol} request to ${url.host} (use --insecure)`, { url: url.toString() });
  }

  private async pause(attempt: number, reason: string, url: URL, retryAfter?: string): Promise<void> {
    const delayMs = backoffDelay(attempt, this.opts, retryAfter);
    this.opts.onRetry?.({ attempt: attempt + 1, delayMs, reason, url: url.toString() });
    await new Promise((r) => setTimeout(r, delayMs));
  }
}
