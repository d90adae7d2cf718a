// Unit tests of the client's small pure pieces. They import internals (test/unit only) because
// these helpers are not part of the public API.
import { parseChallenge } from '../../src/client/challenge';
import { credentialResolver, fromDockerConfig, parseCreds } from '../../src/client/credentials';
import { withDigest } from '../../src/client/blob-upload';
import { referrersTag } from '../../src/client/manifests';
import { backoffDelay, isConnectionError, isRetryableStatus } from '../../src/client/retry';
import { isLoopbackHost } from '../../src/client/http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('WWW-Authenticate parsing', () => {
  it('Bearer with quoted commas in scope', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
  });
  it('Basic, unquoted values, escapes, junk', () => {
    expect(parseChallenge('Basic realm="my \\"reg\\""')).toEqual({ scheme: 'basic', params: { realm: 'my "reg"' } });
    expect(parseChallenge('Bearer realm=x, service=y')).toEqual({ scheme: 'bearer', params: { realm: 'x', service: 'y' } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('credentials', () => {
  it('user:pass with colons in the password', () => {
    expect(parseCreds('u:p:w')).toEqual({ username: 'u', password: 'p:w' });
    expect(() => parseCreds('nouser')).toThrow(expect.objectContaining({ code: 'ERR_OCI_INVALID_ARGUMENT' }));
  });
  it('docker config.json auths by host, https:// key, and Docker Hub key', () => {
    const auth = (s: string) => ({ auth: Buffer.from(s).toString('base64') });
    const cfg = { auths: { 'reg:5000': auth('a:1'), 'https://other.example': auth('b:2'), 'https://index.docker.io/v1/': auth('c:3'), 'x.example': { username: 'd', password: '4' } } };
    expect(fromDockerConfig(cfg, 'reg:5000')).toEqual({ username: 'a', password: '1' });
    expect(fromDockerConfig(cfg, 'other.example')).toEqual({ username: 'b', password: '2' });
    expect(fromDockerConfig(cfg, 'docker.io')).toEqual({ username: 'c', password: '3' });
    expect(fromDockerConfig(cfg, 'x.example')).toEqual({ username: 'd', password: '4' });
    expect(fromDockerConfig(cfg, 'none')).toBeUndefined();
  });
  it('resolution order: --creds, then environment, then config files', async () => {
    const d = dirs.make();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ auths: { h: { auth: Buffer.from('file:f').toString('base64') } } }));
    expect(await credentialResolver({ creds: 'flag:x', env: { MOS_REGISTRY_CREDS: 'env:y', DOCKER_CONFIG: d } })('h')).toEqual({ username: 'flag', password: 'x' });
    expect(await credentialResolver({ env: { MOS_REGISTRY_CREDS: 'env:y', DOCKER_CONFIG: d } })('h')).toEqual({ username: 'env', password: 'y' });
    expect(await credentialResolver({ env: { DOCKER_CONFIG: d } })('h')).toEqual({ username: 'file', password: 'f' });
    expect(await credentialResolver({ env: { DOCKER_CONFIG: d } })('other')).toBeUndefined();
  });
});

describe('upload Location handling', () => {
  it('appends digest with & when the Location already has a query (kept byte for byte)', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    expect(withDigest('http://r/v2/x/blobs/uploads/u?_state=ab%2Bc%3D%3D', d)).toBe(`http://r/v2/x/blobs/uploads/u?_state=ab%2Bc%3D%3D&digest=sha256%3A${'a'.repeat(64)}`);
    expect(withDigest('/v2/x/blobs/uploads/u', d)).toBe(`/v2/x/blobs/uploads/u?digest=sha256%3A${'a'.repeat(64)}`);
  });
});

describe('referrers tag schema', () => {
  it('sha256:<hex> → sha256-<hex>', () => {
    expect(referrersTag('sha256:' + 'b'.repeat(64))).toBe('sha256-' + 'b'.repeat(64));
  });
});

describe('retry policy', () => {
  it('retries connection errors, 5xx and 429 but not 4xx or 501', () => {
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(new Error('socket hang up'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toBe(false);
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 501].some(isRetryableStatus)).toBe(false);
  });
  it('backoff grows, is capped and honours Retry-After', () => {
    expect(backoffDelay(0, { baseDelayMs: 100 })).toBeLessThanOrEqual(100);
    expect(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000 })).toBeLessThanOrEqual(1000);
    expect(backoffDelay(0, {}, '2')).toBe(2000);
    expect(backoffDelay(0, { maxDelayMs: 500 }, '60')).toBe(500);
  });
  it('loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '127.example.com']) expect(isLoopbackHost(h)).toBe(false);
  });
});
