import { parseDocument } from 'yaml';
import { ParseError } from '../errors';
import { isObject, type Tree } from '../validate/fields';

/** Stage 1 for JSON manifests: bytes → a decoded object (no typing yet). */
export function parseJsonTree(bytes: Buffer | string, what: string): Tree {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw new ParseError(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(v)) throw new ParseError(`${what} must be a JSON object`);
  return v;
}

/** Stage 1 for YAML manifests: text → a decoded object (YAML 1.2 core schema, no custom tags). */
export function parseYamlTree(text: Buffer | string, what: string): Tree {
  const doc = parseDocument(typeof text === 'string' ? text : text.toString('utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ParseError(`${what} is not valid YAML: ${e.message.split('\n')[0]}`, { cause: e });
  }
  const v: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isObject(v)) throw new ParseError(`${what} must be a YAML mapping`);
  return v;
}
