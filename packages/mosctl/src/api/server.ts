import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { apiRoleOf, loadTrustAnchors, parseCertificate, roleAtLeast, verifyChain, type ApiRole, type Cert } from '@mos/trust';
import { EXIT, exitCodeOf } from '../cli/exit-codes';
import { audit, auditLogPath } from './audit';
import { OPERATIONS, type Operation } from './operations';
import { HttpError, readJsonBody } from './request';

export interface ApiServerOptions {
  root: string;
  /** Manifest CA for the operations (default: the root's). */
  manifestCa?: string;
  /** The command that starts a root's supervisor when an operation activates services. */
  supervisorCommand: (root: string) => string[];
  /**
   * HTTPS with mutual TLS: the machine's SUDI certificate and key (PEM), and the API client CA
   * file (its `.revoked` file, when present, is honoured for every connection).
   */
  tls?: { cert: Buffer; key: Buffer; clientCa: string; host: string; port: number };
  /** A unix socket for local callers (mode 0600: root only, who is admin). */
  socket?: string;
  /** Default `R/var/log/mos/api.log`. */
  auditLog?: string;
  /** Where refused connections are reported (the reason a client was not let in). Default: nowhere. */
  log?: (line: string) => void;
}

export interface ApiServer {
  tcp?: { host: string; port: number };
  socket?: string;
  close(): Promise<void>;
}

/** Who is calling: from the client certificate (TLS) or the socket's owner (unix, root). */
interface Caller {
  id: string;
  role: ApiRole | undefined;
  via: 'tls' | 'unix';
  fingerprint256?: string;
}

/** HTTP status of an operation's error, by the CLI's exit class (one error contract). */
const STATUS_OF_EXIT: Record<number, number> = { [EXIT.usage]: 400, [EXIT.verification]: 422, [EXIT.notFound]: 404, [EXIT.exists]: 409, [EXIT.busy]: 409, [EXIT.registry]: 502 };

/**
 * `mosctl api serve`: the operations of {@link OPERATIONS} as JSON over HTTP, on HTTPS with
 * mutual TLS (clients chained to the API CA, their role from the certificate's OU; revoked
 * ones dropped right after the handshake) and/or a root-only unix socket. Bounded requests
 * (headers 10 s, body 64 KiB, whole request 30 s), strict JSON, no stack traces in answers,
 * TLS 1.2 or newer. Mutating calls run one at a time (another answers 409 naming the one that
 * runs) and each is written to the audit log, refused or not.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const auditPath = opts.auditLog ?? auditLogPath(opts.root);
  const callers = new WeakMap<Socket, Caller>();
  let running: { op: string; client: string } | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse, caller: Caller | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    const op = OPERATIONS.find((o) => o.path === url.pathname && o.method === req.method);
    const name = `${req.method} ${url.pathname}`;
    let body: Record<string, unknown> = {};
    let answer: { status: number; json: unknown };
    let claimed = false;
    try {
      if (!op) throw OPERATIONS.some((o) => o.path === url.pathname) ? new HttpError(405, 'ERR_API_METHOD', `${name} is not an operation (${allowed(url.pathname)})`) : new HttpError(404, 'ERR_API_NOT_FOUND', `no operation ${url.pathname}`);
      if (!caller) throw new HttpError(403, 'ERR_API_FORBIDDEN', 'the client certificate did not verify');
      if (op.method === 'POST') body = await readJsonBody(req);
      const need = op.role(body);
      if (!roleAtLeast(caller.role, need)) {
        throw new HttpError(403, 'ERR_API_FORBIDDEN', caller.role ? `role ${caller.role} may not ${name}${need === 'admin' ? '' : ' with these arguments'}: it needs ${need}` : 'the client certificate carries no API role (OU reader, operator or admin)');
      }
      if (op.mutating) {
        if (running) throw new HttpError(409, 'ERR_API_BUSY', `busy: ${running.op} by ${running.client} is running; try again when it is done`);
        running = { op: name, client: caller.id };
        claimed = true;
      }
      answer = { status: 200, json: await op.run({ root: opts.root, manifestCa: opts.manifestCa, supervisorCommand: opts.supervisorCommand, body }) };
    } catch (e) {
      answer = errorAnswer(e);
    } finally {
      if (claimed) running = undefined;
    }
    // Recorded before it is answered: a caller that has its answer finds its call in the log.
    if (op?.mutating && caller) {
      const err = (answer.json as { error?: { code?: string; message?: string } }).error;
      await audit(auditPath, {
        time: new Date().toISOString(),
        client: { id: caller.id, role: caller.role, via: caller.via, ...(caller.fingerprint256 && { fingerprint256: caller.fingerprint256 }) },
        op: name,
        args: body,
        result: { status: answer.status, ...(err && { code: err.code, message: err.message }) },
      });
    }
    send(res, answer.status, answer.json);
  }

  // Nothing a request does may take the server down: a failure after the answer started ends that connection only.
  const serve = (req: IncomingMessage, res: ServerResponse, caller: Caller | undefined) =>
    void handle(req, res, caller).catch(() => (res.headersSent ? res.destroy() : send(res, 500, { error: { code: 'ERR_API_INTERNAL', message: 'internal error' } })));

  const servers: Server[] = [];
  const out: ApiServer = { close: async () => void (await Promise.all(servers.map((s) => closeServer(s)))) };
  try {
    if (opts.tls) {
      const tls = opts.tls;
      const https = createHttpsServer(
        // rejectUnauthorized is ours to enforce (below): node would drop such a client too, but
        // silently; an operator needs to see why a client was not let in.
        { cert: tls.cert, key: tls.key, ca: loadTrustAnchors({ caPath: tls.clientCa }).roots.map((c) => c.x509.toString()), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', handshakeTimeout: 10_000, ...LIMITS },
        (req, res) => serve(req, res, callers.get(req.socket)),
      );
      const log = opts.log ?? (() => undefined);
      https.on('tlsClientError', (e: Error, socket: TLSSocket) => log(`refused a TLS client from ${socket.remoteAddress}: ${e.message}`));
      https.on('secureConnection', (socket: TLSSocket) => {
        // Runs before any request on the socket is read: a client that is not let in is cut off
        // here, right after the handshake. OpenSSL checked the chain to the API CA; revocation,
        // the clientAuth purpose and the role are ours.
        try {
          if (!socket.authorized) {
            const has = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
            throw new Error(has ? `its certificate does not verify under the API CA: ${socket.authorizationError}` : 'it sent no client certificate');
          }
          callers.set(socket, clientOf(socket, tls.clientCa));
        } catch (e) {
          log(`refused a TLS client from ${socket.remoteAddress}: ${(e as Error).message}`);
          socket.destroy();
        }
      });
      servers.push(https);
      await listen(https, (s) => s.listen(tls.port, tls.host));
      const a = https.address() as AddressInfo;
      out.tcp = { host: a.address, port: a.port };
    }
    if (opts.socket) {
      const path = opts.socket;
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await rm(path, { force: true }); // a socket left by a server that died
      const http = createHttpServer(LIMITS, (req, res) => serve(req, res, { id: 'unix:root', role: 'admin', via: 'unix' }));
      servers.push(http);
      // Created 0600 from the start (umask), then made so explicitly: only root may connect.
      const mask = process.umask(0o177);
      try {
        await listen(http, (s) => s.listen(path));
      } finally {
        process.umask(mask);
      }
      await chmod(path, 0o600);
      out.socket = path;
    }
  } catch (e) {
    await out.close();
    throw e;
  }
  return out;
}

/** Bounded requests: no slowloris (headers within 10 s, checked every second; the TLS handshake too), no endless body, small headers. */
const LIMITS = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 1_000 };

function clientOf(socket: TLSSocket, clientCa: string): Caller {
  const chain: Cert[] = [];
  for (let c = socket.getPeerCertificate(true); c?.raw && !chain.some((x) => x.der.equals(c.raw)); c = c.issuerCertificate) chain.push(parseCertificate(c.raw, 'client certificate'));
  const verified = verifyChain({ chain, anchors: loadTrustAnchors({ caPath: clientCa }), purpose: 'clientAuth' });
  return { id: verified.leaf.commonName ?? verified.leaf.fingerprint256, role: apiRoleOf(verified.leaf), via: 'tls', fingerprint256: verified.leaf.fingerprint256 };
}

function errorAnswer(e: unknown): { status: number; json: unknown } {
  if (e instanceof HttpError) return { status: e.status, json: { error: { code: e.code, message: e.message } } };
  const status = STATUS_OF_EXIT[exitCodeOf(e)] ?? 500;
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'ERR_API_INTERNAL';
  // The message says what went wrong and what to do; a stack trace says nothing to a caller.
  return { status, json: { error: { code, message: String((e as Error)?.message ?? e).split('\n')[0] } } };
}

function send(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

const allowed = (path: string) => `allowed: ${OPERATIONS.filter((o: Operation) => o.path === path).map((o) => o.method).join(', ')}`;

function listen(server: Server, start: (s: Server) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start(server);
  });
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
