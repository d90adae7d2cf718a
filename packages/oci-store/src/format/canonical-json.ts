/**
 * JSON bytes as Go's `encoding/json` writes OCI structs, so digests of manifests we build match
 * the ones Go tools (mos, stacker, skopeo) build from the same values: struct field order for
 * known OCI shapes, sorted map keys elsewhere, HTML-safe escaping, no trailing newline.
 */

const DESCRIPTOR = ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'];
const MANIFEST = ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations'];
const INDEX = ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'];
const PLATFORM = ['architecture', 'os', 'os.version', 'os.features', 'variant', 'features'];

type Shape = 'descriptor' | 'manifest' | 'index' | 'platform' | 'map';

const ORDER: Record<Exclude<Shape, 'map'>, string[]> = { descriptor: DESCRIPTOR, manifest: MANIFEST, index: INDEX, platform: PLATFORM };

/** Which struct a child field holds, so its keys get struct order. */
function childShape(parent: Shape, key: string): Shape {
  if (parent === 'manifest' && (key === 'config' || key === 'subject' || key === 'layers')) return 'descriptor';
  if (parent === 'index' && (key === 'manifests' || key === 'subject')) return 'descriptor';
  if (parent === 'descriptor' && key === 'platform') return 'platform';
  return 'map';
}

function quote(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encode(v: unknown, shape: Shape): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('non-finite number in JSON');
    return JSON.stringify(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map((x) => encode(x, shape)).join(',')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    let ordered: string[];
    if (shape === 'map') {
      ordered = keys.sort();
    } else {
      const order = ORDER[shape];
      // Known fields in struct order, then unknown extras sorted (Go would drop them; we keep them).
      ordered = [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k)).sort()];
    }
    return `{${ordered.map((k) => `${quote(k)}:${encode(obj[k], shape === 'map' ? 'map' : childShape(shape, k))}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode ${typeof v} as JSON`);
}

/**
 * Serializes an OCI manifest, index, descriptor or any JSON value the way Go does.
 * The shape is detected: `layers`/`config` → manifest, `manifests` → index, `digest` → descriptor.
 *
 * @example
 * import { canonicalJson } from '@mos/oci-store';
 * canonicalJson({ schemaVersion: 2, config, layers: [] }); // Buffer
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(encode(value, detectShape(value)), 'utf8');
}

function detectShape(v: unknown): Shape {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'map';
  const o = v as Record<string, unknown>;
  if ('manifests' in o) return 'index';
  if ('config' in o && 'layers' in o) return 'manifest';
  if ('digest' in o && 'mediaType' in o) return 'descriptor';
  return 'map';
}
