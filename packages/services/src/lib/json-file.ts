import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ServicesError } from '../errors';

/** A JSON file, or `fallback` when it does not exist; a broken file is `ERR_SERVICES_STATE_CORRUPT`. */
export function readJsonFile<T>(file: string, fallback: () => T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback();
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ServicesError('ERR_SERVICES_STATE_CORRUPT', `${file} is not valid JSON (${(e as Error).message}); remove it to start over`, { file });
  }
}

/**
 * Replaces a JSON file atomically (temp file, optional fsync, rename): readers see the old or
 * the new content, never half of one. `durable` fsyncs first (persistent state, not runtime status).
 */
export async function writeJsonFile(file: string, value: unknown, durable = false): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(JSON.stringify(value, null, 2) + '\n');
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
