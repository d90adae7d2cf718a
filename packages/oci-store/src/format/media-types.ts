/**
 * Media type strings of the OCI image spec v1.1, the Docker v2 equivalents we must read, and
 * the mos/stacker types. Import from `@mos/oci-store`.
 *
 * @example
 * import { MediaType } from '@mos/oci-store';
 * if (desc.mediaType === MediaType.ImageManifest) { … }
 */
export const MediaType = {
  LayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  ImageIndex: 'application/vnd.oci.image.index.v1+json',
  ImageManifest: 'application/vnd.oci.image.manifest.v1+json',
  ImageConfig: 'application/vnd.oci.image.config.v1+json',
  Empty: 'application/vnd.oci.empty.v1+json',
  LayerTar: 'application/vnd.oci.image.layer.v1.tar',
  LayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  LayerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  StackerSquashfsZstdVerity: 'application/vnd.stacker.image.layer.squashfs+zstd+verity',
  StackerSquashfsZstd: 'application/vnd.stacker.image.layer.squashfs+zstd',
  MachineInstall: 'application/vnd.machine.install',
  MachinePubkeyCrt: 'application/vnd.machine.pubkeycrt',
  MachineSignature: 'application/vnd.machine.signature',
} as const;

/** Annotation keys we read or write. */
export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  Title: 'org.opencontainers.image.title',
  Created: 'org.opencontainers.image.created',
} as const;

/** The empty JSON blob `{}` (OCI 1.1 "empty descriptor"). */
export const EMPTY_JSON = Object.freeze({
  mediaType: MediaType.Empty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
});

/** The `Accept` header value for manifest GET/HEAD: every manifest type we can read. */
export const MANIFEST_ACCEPT = [
  MediaType.ImageManifest,
  MediaType.ImageIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

/** True for image manifests (OCI or Docker v2). */
export function isManifestType(mt: string | undefined): boolean {
  return mt === MediaType.ImageManifest || mt === MediaType.DockerManifest;
}

/** True for image indexes (OCI index or Docker manifest list). */
export function isIndexType(mt: string | undefined): boolean {
  return mt === MediaType.ImageIndex || mt === MediaType.DockerManifestList;
}

/** True for anything whose JSON names other blobs (manifest or index). */
export function isGraphType(mt: string | undefined): boolean {
  return isManifestType(mt) || isIndexType(mt);
}
