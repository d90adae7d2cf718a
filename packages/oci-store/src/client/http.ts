import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';

/** One HTTP request as the client makes it. */
export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string | number>;
  /** A small body in memory, or a stream (not replayable: the request is then not retried). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

/** A response whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

/** TLS and timeout settings of a transport. */
export interface TransportOptions {
  /** Extra CA certificates (PEM), trusted in addition to the system CAs. Default none. */
  ca?: string | Buffer;
  /** Skip TLS certificate verification (`--insecure`). Default false. */
  insecure?: boolean;
  /** Time to establish a connection and receive response headers. Default 30 000 ms. */
  connectTimeoutMs?: number;
  /** Longest silence on a socket while a body streams. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Parallel sockets per host. Default 8. */
  maxSockets?: number;
}

/** Sends one HTTP request; the seam unit tests replace. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * The real transport: node's http/https with keep-alive agents, system CAs plus `ca`,
 * a connect/headers timeout and a socket idle timeout (both surface as `ETIMEDOUT`, which the
 * retry policy treats as a connection error).
 */
export function nodeTransport(opts: TransportOptions = {}): Transport & { close(): void } {
  const maxSockets = opts.maxSockets ?? 8;
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    maxSockets,
    ca: opts.ca ? [...rootCertificates, opts.ca.toString()] : undefined,
    rejectUnauthorized: !opts.insecure,
  });
  const connectTimeout = opts.connectTimeoutMs ?? 30_000;
  const idleTimeout = opts.idleTimeoutMs ?? 60_000;
  const send: Transport = (req) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const https = req.url.protocol === 'https:';
      const r = (https ? httpsRequest : httpRequest)(req.url, {
        method: req.method,
        headers: req.headers,
        agent: https ? httpsAgent : httpAgent,
        signal: req.signal,
      });
      const timer = setTimeout(() => r.destroy(Object.assign(new Error(`no response from ${req.url.host} within ${connectTimeout} ms`), { code: 'ETIMEDOUT' })), connectTimeout);
      r.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      r.on('response', (res) => {
        clearTimeout(timer);
        // Keep-alive sockets are reused: add the idle timer per response and remove it after.
        const socket = res.socket;
        const onIdle = () => res.destroy(Object.assign(new Error(`${req.url.host} stalled for ${idleTimeout} ms`), { code: 'ETIMEDOUT' }));
        socket?.setTimeout(idleTimeout);
        socket?.on('timeout', onIdle);
        const clear = () => {
          socket?.setTimeout(0);
          socket?.off('timeout', onIdle);
        };
        res.once('end', clear);
        res.once('close', clear);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
      });
      if (req.body === undefined) r.end();
      else if (Buffer.isBuffer(req.body)) r.end(req.body);
      else {
        req.body.on('error', (e) => r.destroy(e));
        req.body.pipe(r);
      }
    });
  return Object.assign(send, {
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

/** True for hosts that are this machine (plain http is allowed to them without `insecure`). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Drains and discards a response body (so keep-alive can reuse the socket). */
export function discardBody(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.body.readableEnded || res.body.destroyed) return resolve();
    res.body.on('end', resolve).on('error', () => resolve()).on('close', resolve);
    res.body.resume();
  });
}

/** A header as one string (first value). */
export function header(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
