import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '../git/atomic-fs';
import { statePaths } from './paths';

/**
 * Where this machine takes its updates from: the reference `mosctl update` without a URL
 * fetches (a tag, followed as bootc's `upgrade` follows its image). Set by install and by
 * `mosctl switch`. Not signed: it says where to look, and whatever is found there is verified
 * like any other manifest (chain, signature, product, serial, expiry).
 */
export interface SourceRecord {
  schema: 1;
  url: string;
  /** When it was set (ISO 8601). */
  since: string;
}

export const sourcePath = (root: string) => join(statePaths(root).configDir, 'source.json');

/** The recorded source of `root`, or undefined when none is recorded or the file is not one. */
export async function readSource(root: string): Promise<SourceRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(sourcePath(root), 'utf8'));
    if (r?.schema === 1 && typeof r.url === 'string' && r.url && typeof r.since === 'string' && !Number.isNaN(Date.parse(r.since))) return { schema: 1, url: r.url, since: r.since };
  } catch {
    /* none */
  }
  return undefined;
}

/** Records `url` as the source of `root` atomically. */
export async function writeSource(root: string, url: string, now = new Date()): Promise<SourceRecord> {
  const rec: SourceRecord = { schema: 1, url, since: now.toISOString() };
  await atomicWriteFile(sourcePath(root), JSON.stringify(rec, null, 2) + '\n');
  return rec;
}
