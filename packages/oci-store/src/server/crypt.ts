import { createHash } from 'node:crypto';

/**
 * The crypt(3)-style password hashes htpasswd files use, written against node:crypto:
 * MD5-crypt (`$1$`, Apache `$apr1$`) and Drepper's SHA-crypt (`$5$`, `$6$`). Each function
 * takes the stored hash (for its salt and rounds) and returns the full string to compare.
 */

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(v: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

const b24 = (a: number, b: number, c: number, n: number) => to64((a << 16) | (b << 8) | c, n);

/** MD5-crypt with `magic` `$1$` or `$apr1$`. */
export function md5Crypt(password: string, stored: string, magic: '$1$' | '$apr1$'): string {
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(stored.slice(magic.length).split('$')[0].slice(0, 8), 'utf8');
  const ctx = createHash('md5').update(pw).update(magic).update(salt);
  let fin = createHash('md5').update(pw).update(salt).update(pw).digest();
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  for (let i = pw.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(salt);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  const f = fin;
  const enc = b24(f[0], f[6], f[12], 4) + b24(f[1], f[7], f[13], 4) + b24(f[2], f[8], f[14], 4) + b24(f[3], f[9], f[15], 4) + b24(f[4], f[10], f[5], 4) + to64(f[11], 2);
  return `${magic}${salt.toString('utf8')}$${enc}`;
}

function repeatTo(src: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += src.length) src.copy(out, i, 0, Math.min(src.length, len - i));
  return out;
}

const ORDER256 = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
const ORDER512 = [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]];

/** SHA-crypt (`$5$` sha256, `$6$` sha512) with optional `rounds=N$`. */
export function shaCrypt(password: string, stored: string, alg: 'sha256' | 'sha512'): string {
  const magic = alg === 'sha256' ? '$5$' : '$6$';
  let rest = stored.slice(magic.length);
  let rounds = 5000;
  let custom = false;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Math.min(999_999_999, Math.max(1000, Number(m[1])));
    custom = true;
    rest = rest.slice(m[0].length);
  }
  const S = Buffer.from(rest.split('$')[0].slice(0, 16), 'utf8');
  const P = Buffer.from(password, 'utf8');
  const H = () => createHash(alg);
  const hl = alg === 'sha256' ? 32 : 64;
  const B = H().update(P).update(S).update(P).digest();
  const a = H().update(P).update(S);
  let cnt = P.length;
  for (; cnt > hl; cnt -= hl) a.update(B);
  a.update(B.subarray(0, cnt));
  for (cnt = P.length; cnt > 0; cnt >>= 1) a.update(cnt & 1 ? B : P);
  const A = a.digest();
  const dp = H();
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pseq = repeatTo(dp.digest(), P.length);
  const ds = H();
  for (let i = 0; i < 16 + A[0]; i++) ds.update(S);
  const Sseq = repeatTo(ds.digest(), S.length);
  let C = A;
  for (let i = 0; i < rounds; i++) {
    const c = H();
    c.update(i & 1 ? Pseq : C);
    if (i % 3) c.update(Sseq);
    if (i % 7) c.update(Pseq);
    c.update(i & 1 ? C : Pseq);
    C = c.digest();
  }
  let enc = (alg === 'sha256' ? ORDER256 : ORDER512).map(([x, y, z]) => b24(C[x], C[y], C[z], 4)).join('');
  enc += alg === 'sha256' ? b24(0, C[31], C[30], 3) : b24(0, 0, C[63], 2);
  return `${magic}${custom ? `rounds=${rounds}$` : ''}${S.toString('utf8')}$${enc}`;
}
