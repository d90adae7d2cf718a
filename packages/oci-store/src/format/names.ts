import { InvalidNameError } from '../errors';

/** umoci's grammar for `org.opencontainers.image.ref.name` (allows `:` and `@`, e.g. `sha256:<hex>`). */
const LAYOUT_TAG = /^([A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*)(\/([A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*))*$/;
/** Distribution-spec tag grammar (stricter than a layout tag). */
const REGISTRY_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Distribution-spec repository name grammar (zot's repo names). */
const REPO_NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

/**
 * Throws unless `tag` is a legal layout tag (ref.name). `sha256:<hex>` is legal.
 *
 * @example
 * import { assertLayoutTag } from '@mos/oci-store';
 * assertLayoutTag('sha256:0123…'); // ok
 */
export function assertLayoutTag(tag: unknown): asserts tag is string {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 1024 || !LAYOUT_TAG.test(tag)) {
    throw new InvalidNameError(`invalid tag ${JSON.stringify(String(tag)).slice(0, 80)}`, { tag: String(tag).slice(0, 200) });
  }
}

/** Throws unless `tag` is a legal registry tag. */
export function assertRegistryTag(tag: unknown): asserts tag is string {
  if (typeof tag !== 'string' || !REGISTRY_TAG.test(tag)) {
    throw new InvalidNameError(`invalid registry tag ${JSON.stringify(String(tag)).slice(0, 80)}`, { tag: String(tag).slice(0, 200) });
  }
}

/** True for a legal registry tag. */
export function isRegistryTag(tag: string): boolean {
  return REGISTRY_TAG.test(tag);
}

/**
 * Throws unless `name` is a legal repository name. The grammar excludes `..`, absolute paths,
 * empty components and NUL, so a checked name is safe to join under a store root.
 */
export function assertRepoName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length > 255 || !REPO_NAME.test(name)) {
    throw new InvalidNameError(`invalid repository name ${JSON.stringify(String(name)).slice(0, 80)}`, { name: String(name).slice(0, 200) });
  }
}

/** True for a legal repository name. */
export function isRepoName(name: string): boolean {
  return REPO_NAME.test(name) && name.length <= 255;
}
