import type { Issue } from '../errors';

export type Tree = Record<string, unknown>;

export const isObject = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads typed fields out of a decoded JSON/YAML object, recording a type problem as an issue
 * (and returning a neutral value) instead of throwing, so a validator reports every problem.
 * Go writes nil slices as `null` and omits nothing; both `null` and a missing key read as empty.
 */
export class Fields {
  constructor(
    private readonly obj: Tree,
    readonly path: string,
    private readonly issues: Issue[],
  ) {}

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  issue(key: string, rule: string, message: string): void {
    this.issues.push({ path: this.at(key), rule, message });
  }

  /** The value as decoded, unchecked (for extension fields another package validates). */
  raw(key: string): unknown {
    return this.obj[key];
  }

  string(key: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      this.issue(key, 'type', `must be a string, got ${typeof v}`);
      return '';
    }
    return v;
  }

  int(key: string): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.issue(key, 'type', `must be an integer, got ${JSON.stringify(v)}`);
      return 0;
    }
    return v;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') {
      this.issue(key, 'type', `must be true or false, got ${JSON.stringify(v)}`);
      return false;
    }
    return v;
  }

  /** Each element of an array field as a Fields reader (non-objects are issues and skipped). */
  list(key: string): Fields[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.issue(key, 'type', 'must be a list');
      return [];
    }
    const out: Fields[] = [];
    v.forEach((item, i) => {
      if (isObject(item)) out.push(new Fields(item, `${this.at(key)}[${i}]`, this.issues));
      else this.issues.push({ path: `${this.at(key)}[${i}]`, rule: 'type', message: 'must be an object' });
    });
    return out;
  }

  object(key: string): Fields {
    const v = this.obj[key];
    if (v !== undefined && v !== null && !isObject(v)) this.issue(key, 'type', 'must be an object');
    return new Fields(isObject(v) ? v : {}, this.at(key), this.issues);
  }
}
