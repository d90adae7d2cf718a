import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'reset' } // destroy the connection before answering
  | { kind: 'status'; status: number; retryAfter?: string } // answer with an error status
  | { kind: 'truncate'; fraction: number } // forward headers, then part of the body, then cut
  | { kind: 'slow'; chunk: number; delayMs: number } // forward the body in small, delayed pieces
  | { kind: 'corrupt' } // flip one byte in the body
  | { kind: 'stall'; fraction: number }; // forward part of the body, then go silent (connection stays open)

/** Decides the fault for the n-th request (0-based) with this method and path. */
export type FaultPlan = (req: { method: string; path: string; range?: string; n: number }) => Fault;

/**
 * A loopback HTTP proxy in front of a registry that injects faults per request. Owned by the
 * test: `stop()` closes it and every open connection. `requests` logs what passed through.
 */
export async function startFaultProxy(upstream: string, plan: FaultPlan) {
  const counts = new Map<string, number>();
  const requests: Array<{ method: string; path: string; range?: string; fault: Fault['kind'] }> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const key = `${req.method} ${path.split('?')[0]}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    const range = req.headers.range;
    const fault = plan({ method: req.method ?? '', path, range, n });
    requests.push({ method: req.method ?? '', path, range, fault: fault.kind });
    if (fault.kind === 'reset') return void req.socket.destroy();
    if (fault.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
      return void res.end('{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
    }
    // The Host header is kept, so absolute Locations the registry builds point back at the proxy.
    const up = request(`http://${upstream}${path}`, { method: req.method, headers: req.headers }, (ur) => {
      const headers = { ...ur.headers };
      res.writeHead(ur.statusCode ?? 502, headers);
      const total = Number(ur.headers['content-length'] ?? 0);
      let sent = 0;
      let flipped = false;
      ur.on('data', (c: Buffer) => {
        if (fault.kind === 'stall' && sent + c.length > total * fault.fraction) {
          res.write(c.subarray(0, Math.max(0, Math.floor(total * fault.fraction) - sent)));
          sent = total;
          ur.destroy(); // nothing more will come; the client's idle timeout must notice
          return;
        }
        if (fault.kind === 'stall' && sent >= total) return;
        if (fault.kind === 'truncate' && sent + c.length > total * fault.fraction) {
          res.write(c.subarray(0, Math.max(0, Math.floor(total * fault.fraction) - sent)));
          ur.destroy();
          res.socket?.destroy();
          return;
        }
        if (fault.kind === 'corrupt' && !flipped && c.length > 0) {
          c = Buffer.from(c);
          c[0] ^= 0xff;
          flipped = true;
        }
        sent += c.length;
        if (fault.kind === 'slow') {
          ur.pause();
          let off = 0;
          const step = () => {
            if (off >= c.length) return void ur.resume();
            res.write(c.subarray(off, off + fault.chunk));
            off += fault.chunk;
            setTimeout(step, fault.delayMs);
          };
          step();
          return;
        }
        if (!res.write(c)) {
          ur.pause();
          res.once('drain', () => ur.resume());
        }
      });
      ur.on('end', () => {
        if (fault.kind === 'stall') return;
        if (fault.kind !== 'slow') return void res.end();
        const wait = () => (ur.isPaused() ? setTimeout(wait, 5) : res.end());
        wait();
      });
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
