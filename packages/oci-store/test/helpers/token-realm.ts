import { randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { run } from './run';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * A token realm for docker-registry's `auth: token` (formats.md §6.5): issues RS256 JWTs with an
 * `x5c` header carrying a self-signed certificate the registry trusts (`rootcertbundle`), for
 * user `user`/`pass` only, granting the scopes asked for. `requests` logs every token request.
 */
export async function startTokenRealm(dir: string, service = 'svc', issuer = 'iss') {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.pem');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=token', '-keyout', key, '-out', cert, '-days', '2']);
  const der = Buffer.from(readFileSync(cert, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const privateKey = readFileSync(key);
  const requests: Array<{ scopes: string[]; user?: string }> = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://realm');
    const auth = req.headers.authorization;
    const [user, pass] = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    const scopes = url.searchParams.getAll('scope');
    requests.push({ scopes, user });
    if (user !== 'user' || pass !== 'pass' || url.searchParams.get('service') !== service) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end('{"details":"bad credentials"}');
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      return { type, name: rest.join(':'), actions };
    });
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const sig = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), privateKey));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${sig}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    realm,
    requests,
    /** The `auth:` YAML block for docker-registry. */
    registryAuth: `  token: {realm: "${realm}", service: ${service}, issuer: ${issuer}, rootcertbundle: ${cert}}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
