export * from './errors';
export type { Sys, RunOptions, RunResult } from './sys';
export { realSys } from './sys';
export { parseSquashfsSuperblock, readSquashfsSuperblock, type SquashfsSuperblock } from './format/squashfs';
export { decodeVeritySuperblock, encodeVeritySuperblock, type VeritySuperblock } from './format/verity-superblock';
export { verityGeometry, type VerityGeometry } from './verity/geometry';
export { locateVerity, checkVerityPresence, type VerityLocation } from './verity/locate';
export { formatVerity, type FormatOptions, type FormatResult } from './verity/format';
export { verifyVerity, parseRootHash, type VerifyOptions, type VerifyResult } from './verity/verify';
export { dumpVerity, type VerityDump } from './verity/dump';
export { verityTable, type VerityTable, type CorruptionMode } from './verity/dm-table';
export { HashPool, type Progress, type HashOptions } from './verity/hash-pool';
export { buildLayer, type BuildLayerOptions, type BuiltLayer } from './build/build-layer';
export { readTar, type TarHeader, type TarEvent } from './build/tar-reader';
export { planTar, rewriteTar, OPAQUE_XATTR, type TarPlan } from './build/whiteouts';
export type { BackendName, Protection, LayerSpec, LayerRecord, LayerCheck } from './mount/types';
export { DEFAULT_SCRATCH, type MoleculeRecord } from './mount/scratch';
export { mountMolecule, type MountMoleculeOptions, type MountedMolecule } from './mount/molecule';
export { umountMolecule, type UmountOptions, type UmountResult } from './mount/umount';
export { verifyMounted, assertVerified, type VerifyMountedResult } from './mount/verify-mounted';
export { listMolecules, type ListedMolecule } from './mount/list';
export { chooseBackend } from './mount/backends';
export {
  SQUASHFS_VERITY_MEDIA_TYPE,
  SQUASHFS_GZIP_VERITY_MEDIA_TYPE,
  ROOT_HASH_ANNOTATION_OLD,
  ROOT_HASH_ANNOTATION_NEW,
  isSquashfsLayer,
  rootHashOf,
} from './oci/media';
export { resolveImageLayers, type ImageSource, type ResolvedImage } from './oci/image-layers';
export { mountImage, type MountImageOptions } from './oci/mount-image';
export { buildImage, type BuildImageOptions, type BuiltImage } from './oci/build-image';
