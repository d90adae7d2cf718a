import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors';
import { md5Crypt, shaCrypt } from './crypt';

/**
 * A parsed htpasswd file. Supported hash formats (all with node:crypto only): `{SHA}` (SHA-1,
 * `htpasswd -s`), `$apr1$` (Apache MD5, `htpasswd -m`, the default), `$1$` (MD5-crypt),
 * `$5$`/`$6$` (SHA-256/512-crypt, `htpasswd -2`/`-5`). bcrypt (`$2y$`, `htpasswd -B`) is not
 * supported: it needs Blowfish key setup that node:crypto does not expose; such lines are
 * reported at load time and never match.
 */
export class Htpasswd {
  private constructor(private readonly users: Map<string, string>, readonly unsupported: string[]) {}

  /** Parses the text of an htpasswd file. */
  static parse(text: string): Htpasswd {
    const users = new Map<string, string>();
    const unsupported: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) throw new InvalidArgumentError('htpasswd line without "user:hash"');
      const user = line.slice(0, i);
      const hash = line.slice(i + 1);
      if (/^\$2[abxy]?\$/.test(hash)) unsupported.push(user);
      users.set(user, hash);
    }
    return new Htpasswd(users, unsupported);
  }

  /** Reads and parses an htpasswd file. */
  static load(path: string): Htpasswd {
    return Htpasswd.parse(readFileSync(path, 'utf8'));
  }

  /** True when `password` matches `user`'s entry (constant-time comparison of the hashes). */
  verify(user: string, password: string): boolean {
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    let computed: string | undefined;
    if (hash.startsWith('{SHA}')) computed = `{SHA}${createHash('sha1').update(password).digest('base64')}`;
    else if (hash.startsWith('$apr1$')) computed = md5Crypt(password, hash, '$apr1$');
    else if (hash.startsWith('$1$')) computed = md5Crypt(password, hash, '$1$');
    else if (hash.startsWith('$5$')) computed = shaCrypt(password, hash, 'sha256');
    else if (hash.startsWith('$6$')) computed = shaCrypt(password, hash, 'sha512');
    if (computed === undefined) return false;
    const a = Buffer.from(computed);
    const b = Buffer.from(hash);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
