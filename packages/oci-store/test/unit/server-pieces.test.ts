// Unit tests of server helpers (internals, hence test/unit): htpasswd formats checked against
// openssl's own hashes, Range parsing, pagination.
import { Htpasswd } from '../../src/server/htpasswd';
import { parseRange } from '../../src/server/http-util';
import { createHash } from 'node:crypto';
import { run } from '../helpers/run';

describe('htpasswd', () => {
  it('verifies {SHA}, $apr1$, $1$, $5$, $6$ entries made by openssl; refuses bcrypt', () => {
    const lines = [
      `a:{SHA}${createHash('sha1').update('pa').digest('base64')}`,
      `b:${run('openssl', ['passwd', '-apr1', 'pb']).stdout.trim()}`,
      `c:${run('openssl', ['passwd', '-1', 'pc']).stdout.trim()}`,
      `d:${run('openssl', ['passwd', '-5', 'pd']).stdout.trim()}`,
      `e:${run('openssl', ['passwd', '-6', 'pé']).stdout.trim()}`,
      'f:$2y$05$abcdefghijklmnopqrstuu5mWpuDUmBK2Y8dXW7S2mWHPEH0bHf1W',
    ];
    const h = Htpasswd.parse(lines.join('\n') + '\n');
    for (const [u, p] of [['a', 'pa'], ['b', 'pb'], ['c', 'pc'], ['d', 'pd'], ['e', 'pé']]) {
      expect([u, h.verify(u, p)]).toEqual([u, true]);
      expect([u, h.verify(u, p + 'x')]).toEqual([u, false]);
    }
    expect(h.verify('f', 'anything')).toBe(false);
    expect(h.unsupported).toEqual(['f']);
    expect(h.verify('nobody', 'x')).toBe(false);
  });
});

describe('Range', () => {
  it('parses the three forms and refuses the unsatisfiable', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=95-200', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=100-', 100)).toBeNull();
    expect(parseRange('bytes=5-2', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});
