import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../errors';
import { isRepoName } from '../format/names';
import { LayoutRoot } from '../layout/layout-root';
import type { Ctx } from './context';
import { Htpasswd } from './htpasswd';
import { sendError, sendFailure } from './http-util';
import { catalog, listTags, referrers } from './listings';
import { deleteManifest, getManifest, putManifest } from './manifests';
import { deleteBlob, getBlob } from './blobs';
import { cancelUpload, patchUpload, postUpload, putUpload, statusUpload } from './upload-handlers';
import { UploadSessions } from './uploads';

/** Options of {@link RegistryServer.start}; every default is stated. */
export interface ServeOptions {
  /** The storage root: `<root>/<repo>/` are OCI layouts (created if missing). */
  root: string;
  /** Listen address `host:port`. Default `127.0.0.1:5000`; port 0 picks a free port. */
  addr?: string;
  /** PEM certificate and key files: serve https. Default: plain http. */
  tlsCert?: string;
  tlsKey?: string;
  /** htpasswd file: require Basic auth on every `/v2/` request. Default: anonymous access. */
  htpasswd?: string;
  /** Verify blob content on the first full GET of each (unchanged) blob file. Default true. */
  verifyOnServe?: boolean;
  /** Called once per request after the response (method, path, status). Default: none. */
  onRequest?: (r: { method: string; path: string; status: number }) => void;
}

type Handler = (ctx: Ctx) => Promise<void>;
const ROUTES: Array<[RegExp, Partial<Record<string, Handler>>, Parameters<typeof sendFailure>[2]]> = [
  [/^\/v2\/(.+)\/manifests\/[^/]+$/, { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest }, 'manifest'],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, { POST: postUpload }, 'upload'],
  [/^\/v2\/(.+)\/blobs\/uploads\/[^/]+$/, { GET: statusUpload, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload }, 'upload'],
  [/^\/v2\/(.+)\/blobs\/[^/]+$/, { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob }, 'blob'],
  [/^\/v2\/(.+)\/tags\/list$/, { GET: listTags }, 'repo'],
  [/^\/v2\/(.+)\/referrers\/[^/]+$/, { GET: referrers }, 'manifest'],
];

/**
 * Our registry: the distribution API v1.1 over a zot-shaped storage root — `/v2/`, manifests
 * GET/HEAD/PUT/DELETE by tag and digest, blobs GET (Range)/HEAD/DELETE, uploads (monolithic
 * POST, POST + PATCH + PUT sessions, mount), tags/list and `_catalog` with pagination, and the
 * referrers API. Writes go through the layout's verified batch path. Loopback by default.
 * Import from `@mos/oci-store/server`.
 *
 * @example
 * import { RegistryServer } from '@mos/oci-store/server';
 * const srv = await RegistryServer.start({ root: '/tmp/reg', addr: '127.0.0.1:0' });
 * console.log(srv.address); // 127.0.0.1:41234
 * await srv.close();
 */
export class RegistryServer {
  private constructor(private readonly server: Server, private readonly uploads: UploadSessions, readonly address: string, readonly tls: boolean) {}

  /** Starts listening; resolves once the socket is bound. */
  static async start(opts: ServeOptions): Promise<RegistryServer> {
    const root = await LayoutRoot.open(opts.root, { create: true });
    const { host, port } = splitAddr(opts.addr ?? '127.0.0.1:5000');
    const users = opts.htpasswd ? Htpasswd.load(opts.htpasswd) : undefined;
    const uploads = new UploadSessions();
    const verified = new Map<string, string>();
    const handle = (req: IncomingMessage, res: ServerResponse) => void dispatch(req, res, root, uploads, users, opts, verified);
    let server: Server;
    if (opts.tlsCert || opts.tlsKey) {
      if (!opts.tlsCert || !opts.tlsKey) throw new InvalidArgumentError('TLS needs both a certificate and a key');
      server = createHttpsServer({ cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) }, handle) as unknown as Server;
    } else server = createHttpServer(handle);
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    return new RegistryServer(server, uploads, address, !!opts.tlsCert);
  }

  /** Stops accepting, closes idle connections, cancels open upload sessions. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
    await this.uploads.closeAll();
  }
}

function splitAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new InvalidArgumentError(`invalid listen address ${JSON.stringify(addr)} (want host:port)`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

function authorized(req: IncomingMessage, users: Htpasswd): boolean {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return false;
  const dec = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = dec.indexOf(':');
  return i > 0 && users.verify(dec.slice(0, i), dec.slice(i + 1));
}

async function dispatch(
  req: IncomingMessage, res: ServerResponse, root: LayoutRoot, uploads: UploadSessions, users: Htpasswd | undefined, opts: ServeOptions, verified: Map<string, string>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://registry');
  res.setHeader('docker-distribution-api-version', 'registry/2.0');
  res.once('finish', () => opts.onRequest?.({ method: req.method ?? '', path: url.pathname, status: res.statusCode }));
  if (users && !authorized(req, users)) {
    req.resume();
    return sendError(res, 401, 'UNAUTHORIZED', 'authentication required', undefined, { 'www-authenticate': 'Basic realm="mos-registry"' });
  }
  if (url.pathname === '/v2/' || url.pathname === '/v2') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    return void res.end(req.method === 'HEAD' ? undefined : '{}');
  }
  const ctx: Ctx = { req, res, url, root, uploads, repo: '', verifyOnServe: opts.verifyOnServe ?? true, verified };
  let kind: Parameters<typeof sendFailure>[2] = 'repo';
  try {
    if (url.pathname === '/v2/_catalog') {
      if (req.method !== 'GET') return sendError(res, 405, 'UNSUPPORTED', 'method not allowed');
      return await catalog(ctx);
    }
    for (const [re, methods, k] of ROUTES) {
      const m = re.exec(url.pathname);
      if (!m) continue;
      kind = k;
      const handler = methods[req.method ?? ''];
      if (!handler) {
        req.resume();
        return sendError(res, 405, 'UNSUPPORTED', `${req.method} not allowed here`);
      }
      ctx.repo = decodeURIComponent(m[1]);
      if (!isRepoName(ctx.repo)) {
        req.resume();
        return sendError(res, 400, 'NAME_INVALID', `invalid repository name ${JSON.stringify(ctx.repo)}`);
      }
      return await handler(ctx);
    }
    req.resume();
    sendError(res, 404, 'UNSUPPORTED', `no route for ${url.pathname}`);
  } catch (e) {
    req.resume();
    sendFailure(res, e, kind);
  }
}
