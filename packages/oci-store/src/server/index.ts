/**
 * `@mos/oci-store/server`: the registry server (distribution API v1.1 incl. referrers) over a
 * zot-shaped storage root, for `mosctl serve`, livecd `repo=local` and tests.
 */
export { RegistryServer, type ServeOptions } from './registry-server';
export { Htpasswd } from './htpasswd';
