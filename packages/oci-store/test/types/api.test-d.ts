// Type-level checks of the public API (checked by `tsc -p packages/oci-store/tsconfig.json`,
// never run): the names and shapes other packages rely on.
import {
  LayoutStore, MediaType, OciStoreError, RegistryError, copy, parseReference,
  type Descriptor, type ImageConfig, type ImageManifest, type OciStoreErrorCode, type ReadOnlyStore, type Store,
} from '@mos/oci-store';
import { RegistryServer } from '@mos/oci-store/server';
import type { Readable } from 'node:stream';

declare const store: LayoutStore;
declare const d: Descriptor;

export async function checks(): Promise<void> {
  const s: Store = store; // LayoutStore satisfies the Store contract
  const r: ReadOnlyStore = s;
  const stream: Readable = await r.fetch(d);
  void stream;
  const m: ImageManifest = await store.fetchJson<ImageManifest>(d);
  const c: ImageConfig = await store.fetchJson<ImageConfig>(m.config);
  const ids: string[] = c.rootfs.diff_ids;
  void ids;
  const path: string = store.blobPath(d.digest);
  void path;
  const t: Descriptor = await store.resolve('sha256:' + 'a'.repeat(64));
  void t;
  const mt: 'application/vnd.oci.image.manifest.v1+json' = MediaType.ImageManifest;
  void mt;
  const ref = parseReference('oci:/x:y');
  if (ref.transport === 'oci') {
    const dir: string = ref.dir;
    void dir;
    // @ts-expect-error a layout reference has no registry
    void ref.registry;
  }
  const res = await copy('oci:/a:b', 'oci:/c:d', { referrers: true });
  const digest: string = res.manifest.digest;
  void digest;
  const code: OciStoreErrorCode = new OciStoreError('ERR_OCI_NOT_FOUND', 'x').code;
  // @ts-expect-error codes are a closed union
  const bad: OciStoreErrorCode = 'ERR_SOMETHING_ELSE';
  void [code, bad];
  const status: number = new RegistryError('MANIFEST_UNKNOWN', 'x', 404).status;
  void status;
  const srv = await RegistryServer.start({ root: '/tmp/x', addr: '127.0.0.1:0' });
  const addr: string = srv.address;
  void addr;
  // @ts-expect-error push needs a descriptor, not a digest string
  await store.push(d.digest, Buffer.alloc(0));
}
