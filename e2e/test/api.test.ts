import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { cleanupMounts, runOk, TOP } from '@mos/test-utils';
import { installYaml, makeRoot, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';
import { waitFor } from './helpers/wait';

// Issue 11, first part: `mosctl api serve` answers over HTTPS with mutual TLS (the machine's
// SUDI as server identity, clients chained to the keyset's api-ca, role from their OU) and a
// root-only unix socket; the operations are the CLI's own (same JSON documents). Certificates
// are made by `trust` and by openssl; curl and openssl s_client are the other side where they can be.
let w: World;
let root: string;
let serverProc: ChildProcess | undefined;
/** What the server said on stderr (why it refused clients). */
let serverSaid = '';
let port = 0;
let v1: string;
let v2: string;
const SN = 'SN0001';
const stalls: Server[] = [];

const keyset = () => join(w.keysets, 'e2e');
const client = (name: string) => join(keyset(), 'api-clients', name);
const sudiCa = () => join(keyset(), 'sudi-ca', 'cert.pem');
const apiCa = () => join(root, 'factory', 'secure', 'api-ca.pem');
const secure = (f: string) => join(root, 'factory', 'secure', f);

/** Starts `mosctl api serve`; resolves with what it printed (its addresses) once it listens. */
function startServer(args: string[], said: (s: string) => void = () => undefined): Promise<{ proc: ChildProcess; where: { tcp?: { port: number }; socket?: string } }> {
  const proc = spawn(process.execPath, [join(TOP, 'packages/mosctl/bin/mosctl.js'), 'api', 'serve', '-r', root, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...w.env } });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => {
      err += d;
      said(String(d));
    });
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc, where: JSON.parse(out.split('\n')[0]) });
    });
    proc.once('exit', (code) => reject(new Error(`mosctl api serve exited ${code}: ${err}`)));
  });
}

async function stopServer(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}

interface Answer {
  status: number;
  json: any;
}

/** One HTTPS call as `who` (a client dir with cert.pem/privkey.pem, or explicit files), checking the server is SUDI SN. */
function call(who: string | { cert: string; key: string } | undefined, method: string, path: string, body?: unknown, extra: RequestOptions = {}): Promise<Answer> {
  const files = typeof who === 'string' ? { cert: join(client(who), 'cert.pem'), key: join(client(who), 'privkey.pem') } : who;
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca: readFileSync(sudiCa()),
        ...(files && { cert: readFileSync(files.cert), key: readFileSync(files.key) }),
        // The server is a machine of this product, and this machine: its SUDI names both.
        checkServerIdentity: (_host: string, cert: PeerCertificate) => (cert.subject.CN === SN ? undefined : new Error(`server is ${cert.subject.CN}, not ${SN}`)),
        headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
        ...extra,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    // A hang guard: an answer that never comes fails the test instead of hanging it.
    req.setTimeout(120_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 120 s`)));
    req.end(data);
  });
}

/** `p`, or a failure naming what did not happen within `ms` (a hang guard, not a timing assertion). */
function guard<T>(p: Promise<T>, what: string, ms = 120_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const refused = (p: Promise<unknown>) => p.then(() => 'answered', (e: Error & { code?: string }) => e.code ?? e.message);
const auditLines = () => readFileSync(join(root, 'var', 'log', 'mos', 'api.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const head = () => execFileSync('git', ['-C', join(root, 'config', 'manifest.git'), 'rev-parse', 'master'], { encoding: 'utf8' }).trim();

/** A client certificate made with openssl under `caDir`'s cert/key: subject, validity. */
function opensslClient(name: string, caCert: string, caKey: string, subj: string, dates?: { start: string; end: string }): { cert: string; key: string } {
  const d = w.dirs.make(`mos-e2e-ossl-${name}-`);
  const key = join(d, 'key.pem');
  const csr = join(d, 'req.csr');
  const cert = join(d, 'cert.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subj, '-out', csr], { stdio: 'pipe' });
  writeFileSync(join(d, 'ext.cnf'), 'extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n');
  if (!dates) {
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-days', '30', '-extfile', join(d, 'ext.cnf'), '-out', cert], { stdio: 'pipe' });
  } else {
    // `openssl ca` can set dates in the past: an expired certificate of the right CA.
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), '1000\n');
    writeFileSync(join(d, 'ca.cnf'), `[ca]\ndefault_ca = c\n[c]\ndatabase = ${d}/index.txt\nnew_certs_dir = ${d}\nserial = ${d}/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\norganizationalUnitName = optional\n`);
    execFileSync('openssl', ['ca', '-batch', '-config', join(d, 'ca.cnf'), '-cert', caCert, '-keyfile', caKey, '-in', csr, '-out', cert, '-startdate', dates.start, '-enddate', dates.end, '-extfile', join(d, 'ext.cnf')], { stdio: 'pipe' });
  }
  return { cert, key };
}

beforeAll(async () => {
  w = await makeWorld();
  root = makeRoot(w);
  v1 = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/api:v1', ['--serial', '10']);
  v2 = await publishYaml(w, installYaml(w, 'hostfsonly', { image: 'busyboxu1-squashfs' }), 'machine/api:v2', ['--serial', '20']);
  await runOk('mosctl', ['install', '--rfs', root, v1], { env: w.env });
  // The machine's identity (its SUDI) and the API client CA, where a provisioned machine has them.
  await runOk('trust', ['sudi', 'add', 'e2e', 'default', SN], { env: w.env });
  const sudi = join(keyset(), 'manifest', 'default', 'sudi', SN);
  copyFileSync(join(sudi, 'cert.pem'), secure('server.crt'));
  copyFileSync(join(sudi, 'privkey.pem'), secure('server.key'));
  copyFileSync(join(keyset(), 'api-ca', 'cert.pem'), apiCa());
  for (const [name, role] of [['rita', 'reader'], ['otto', 'operator'], ['ada', 'admin'], ['eve', 'admin']]) {
    await runOk('trust', ['api-client', 'add', '--keyset', 'e2e', '--role', role, name], { env: w.env });
  }
  // eve is revoked by fingerprint, the way a keyset owner would revoke a lost laptop's certificate.
  const eveFp = execFileSync('openssl', ['x509', '-in', join(client('eve'), 'cert.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1].trim();
  writeFileSync(join(root, 'factory', 'secure', 'api-ca.revoked'), `# lost laptop\n${eveFp}\n`);
  const s = await startServer(['--listen', '127.0.0.1:0'], (d) => (serverSaid += d));
  serverProc = s.proc;
  port = s.where.tcp!.port;
});

afterAll(async () => {
  await stopServer(serverProc);
  for (const s of stalls) s.close();
  if (root) expect(cleanupMounts(root)).toEqual([]);
  await stopWorld(w);
});

test('the handshake refuses no certificate, a foreign CA, an expired certificate; a revoked one gets no answer', async () => {
  expect(await refused(call(undefined, 'GET', '/v1/status'))).toMatch(/ECONNRESET|EPIPE|certificate required|alert/i);
  const foreignDir = w.dirs.make('mos-e2e-foreign-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Foreign CA', '-days', '30', '-keyout', join(foreignDir, 'ca.key'), '-out', join(foreignDir, 'ca.pem'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], { stdio: 'pipe' });
  const foreign = opensslClient('foreign', join(foreignDir, 'ca.pem'), join(foreignDir, 'ca.key'), '/CN=mallory/OU=admin');
  expect(await refused(call(foreign, 'GET', '/v1/status'))).toMatch(/ECONNRESET|EPIPE|unknown ca|alert/i);
  const expired = opensslClient('expired', join(keyset(), 'api-ca', 'cert.pem'), join(keyset(), 'api-ca', 'privkey.pem'), '/CN=old/OU=admin', { start: '20200101000000Z', end: '20200102000000Z' });
  expect(await refused(call(expired, 'GET', '/v1/status'))).toMatch(/ECONNRESET|EPIPE|expired|alert/i);
  expect(await refused(call('eve', 'GET', '/v1/status'))).toMatch(/ECONNRESET|EPIPE|socket hang up/i);
  // Why, as the server saw it: each refusal names its reason.
  await waitFor('the server to report four refusals', () => (serverSaid.match(/refused a TLS client/g) ?? []).length >= 4);
  expect(serverSaid).toMatch(/refused a TLS client from 127\.0\.0\.1: it sent no client certificate/);
  expect(serverSaid).toMatch(/refused a TLS client from 127\.0\.0\.1: its certificate does not verify under the API CA: UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)/);
  expect(serverSaid).toMatch(/refused a TLS client from 127\.0\.0\.1: its certificate does not verify under the API CA: CERT_HAS_EXPIRED/);
  expect(serverSaid).toMatch(/refused a TLS client from 127\.0\.0\.1: certificate "eve" is revoked: fingerprint [0-9a-f]{64} is listed in .*api-ca\.revoked/);
  // openssl as the client agrees: the server asks for a certificate and verifies as the machine's SUDI.
  const sc = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', sudiCa(), '-verify_return_error', '-brief'], { input: '', encoding: 'utf8' });
  expect(sc.stderr).toMatch(/Verification: OK/);
  expect(sc.stderr).toMatch(/Protocol version: TLSv1\.[23]/);
});

test('a client refuses a server that is not a SUDI of this keyset', async () => {
  const d = w.dirs.make('mos-e2e-impostor-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${SN}`, '-days', '30', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem')], { stdio: 'pipe' });
  const impostor = await startServer(['--listen', '127.0.0.1:0', '--no-socket', '--server-cert', join(d, 'cert.pem'), '--server-key', join(d, 'key.pem')]);
  try {
    const saved = port;
    port = impostor.where.tcp!.port;
    try {
      expect(await refused(call('ada', 'GET', '/v1/status'))).toMatch(/self[- ]signed|unable to verify|SELF_SIGNED|UNABLE_TO_VERIFY/i);
    } finally {
      port = saved;
    }
  } finally {
    await stopServer(impostor.proc);
  }
});

test('roles: a reader reads the same status document as the CLI and cannot update; an operator may only check', async () => {
  const h0 = head();
  const st = await call('rita', 'GET', '/v1/status');
  const cli = JSON.parse((await runOk('mosctl', ['status', '--rfs', root, '--json'], { env: w.env })).stdout);
  expect(st.status).toBe(200);
  expect({ ...st.json, services: undefined, supervisor: undefined }).toEqual({ ...cli, services: undefined, supervisor: undefined });
  expect((await call('rita', 'GET', '/v1/services')).status).toBe(200);

  expect(await call('rita', 'POST', '/v1/update', { url: v2 })).toEqual({ status: 403, json: { error: { code: 'ERR_API_FORBIDDEN', message: 'role reader may not POST /v1/update: it needs admin' } } });
  const check = await call('otto', 'POST', '/v1/update', { url: v2, check: true });
  expect(check).toMatchObject({ status: 200, json: { checked: true, changed: true, serial: 20 } });
  expect((await call('otto', 'POST', '/v1/update', { url: v2 })).status).toBe(403);
  expect((await call('otto', 'POST', '/v1/gc', { dryRun: true })).status).toBe(403);
  expect(head()).toBe(h0); // nothing was changed
});

test('an admin updates, rolls back, confirms and collects garbage; each mutating call is in the audit log', async () => {
  const before = head();
  const up = await call('ada', 'POST', '/v1/update', { url: v2 });
  expect(up).toMatchObject({ status: 200, json: { changed: true, previous: before, serial: 20, pending: { kind: 'update' } } });
  expect(head()).toBe(up.json.commit);
  expect((await call('ada', 'POST', '/v1/update', { url: v1 })).json).toMatchObject({ error: { code: 'ERR_MANIFEST_VERIFY_FAILED', message: expect.stringMatching(/refused as a replay/) } });
  expect((await call('ada', 'POST', '/v1/update', { url: v1 })).status).toBe(422);
  const back = await call('ada', 'POST', '/v1/rollback', { reason: 'api test' });
  expect(back).toMatchObject({ status: 200, json: { changed: true, target: before } });
  expect((await call('ada', 'POST', '/v1/confirm', {})).json).toMatchObject({ confirmed: true, commit: head() });
  expect((await call('ada', 'POST', '/v1/gc', { keep: 1, dryRun: true })).json).toMatchObject({ dryRun: true });

  const lines = auditLines();
  const mine = lines.filter((l) => l.client.id === 'ada');
  expect(mine.map((l) => [l.op, l.result.status])).toEqual([
    ['POST /v1/update', 200],
    ['POST /v1/update', 422],
    ['POST /v1/update', 422],
    ['POST /v1/rollback', 200],
    ['POST /v1/confirm', 200],
    ['POST /v1/gc', 200],
  ]);
  expect(mine[0]).toMatchObject({ client: { role: 'admin', via: 'tls', fingerprint256: expect.stringMatching(/^[0-9a-f]{64}$/) }, args: { url: v2 } });
  // The reader's refused attempt is there too.
  expect(lines.find((l) => l.client.id === 'rita')).toMatchObject({ op: 'POST /v1/update', result: { status: 403 } });
  expect(statSync(join(root, 'var', 'log', 'mos', 'api.log')).mode & 0o777).toBe(0o600);
});

test('hostile requests: bad JSON, unknown fields, a body too large, unknown paths; the server keeps serving', async () => {
  expect(await call('ada', 'POST', '/v1/update', 'not json')).toMatchObject({ status: 400, json: { error: { code: 'ERR_API_BAD_JSON' } } });
  expect(await call('ada', 'POST', '/v1/update', [1, 2])).toMatchObject({ status: 400 });
  expect(await call('ada', 'POST', '/v1/update', { url: v2, chekc: true })).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining('unknown field "chekc"') } } });
  expect(await call('ada', 'POST', '/v1/update', { url: 5 })).toMatchObject({ status: 400, json: { error: { message: 'field "url" must be a string' } } });
  expect(await call('ada', 'POST', '/v1/update', { apply: true, url: v2 })).toMatchObject({ status: 400 });
  expect((await call('ada', 'POST', '/v1/update', { url: 'x'.repeat(100 * 1024) })).status).toBe(413);
  expect((await call('ada', 'GET', '/v1/nothing')).status).toBe(404);
  expect((await call('ada', 'DELETE', '/v1/status')).status).toBe(405);
  const st = await call('rita', 'GET', '/v1/status');
  expect(st.status).toBe(200);
  expect(JSON.stringify(st.json)).not.toMatch(/at \w+ \(/); // no stack traces
});

test('a client that sends half a request is cut off (no slowloris), and others are served meanwhile', async () => {
  const sock = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(sudiCa()), cert: readFileSync(join(client('rita'), 'cert.pem')), key: readFileSync(join(client('rita'), 'privkey.pem')), checkServerIdentity: () => undefined });
  await guard(new Promise<void>((r) => sock.once('secureConnect', () => r())), 'the TLS handshake');
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  let said = '';
  sock.on('error', () => undefined);
  sock.on('data', (d) => (said += d));
  sock.write('GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  expect((await call('rita', 'GET', '/v1/status')).status).toBe(200);
  await guard(closed, 'the server to cut the half request off'); // its header timeout (10 s) does
  expect(said).toMatch(/^HTTP\/1\.1 408 /);
});

test('two mutating calls at once: the second answers 409 naming the first', async () => {
  // A "registry" that accepts and never answers keeps the first update running as long as we like.
  const held = new Set<import('node:net').Socket>();
  const stall = createServer((s) => void held.add(s));
  stalls.push(stall);
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
  const stallPort = (stall.address() as { port: number }).port;
  const connected = new Promise<void>((r) => stall.once('connection', () => r()));
  const first = call('ada', 'POST', '/v1/update', { url: `127.0.0.1:${stallPort}/machine/api:stuck` });
  // The first has certainly started once the stall server saw its connection; an answer before
  // that would mean it never got there (shown in the diff).
  const early = await guard(Promise.race([connected.then(() => undefined), first.then((a) => ({ answeredEarly: a }))]), 'the first update to reach the stalled registry');
  expect(early).toBeUndefined();
  const second = await call('ada', 'POST', '/v1/update', { url: v2 });
  expect(second).toEqual({ status: 409, json: { error: { code: 'ERR_API_BUSY', message: 'busy: POST /v1/update by ada is running; try again when it is done' } } });
  // End the first: its registry goes away (connections cut, nothing listens), it fails as a registry error.
  await new Promise<void>((r) => {
    stall.close(() => r());
    for (const s of held) s.destroy();
  });
  const done = await guard(first, 'the first update to fail');
  expect({ status: done.status, code: done.json.error?.code }).toEqual({ status: 502, code: expect.stringMatching(/^ERR_OCI_/) });
  expect((await call('ada', 'POST', '/v1/gc', { dryRun: true })).status).toBe(200);
});

test('the unix socket: root only (0600), the same operations; another user cannot connect', async () => {
  const sock = join(root, 'run', 'mos', 'api.sock');
  expect(existsSync(sock)).toBe(true);
  expect(statSync(sock).mode & 0o777).toBe(0o600);
  const asRoot = spawnSync('curl', ['-sS', '--unix-socket', sock, 'http://localhost/v1/status'], { encoding: 'utf8' });
  expect(JSON.parse(asRoot.stdout)).toMatchObject({ installed: true, verified: true, commit: head() });
  const asNobody = spawnSync('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'curl', '-sS', '--unix-socket', sock, 'http://localhost/v1/status'], { encoding: 'utf8' });
  expect(asNobody.status).not.toBe(0);
  expect(asNobody.stderr).toMatch(/Permission denied|Couldn't connect/);
});
