export * from './errors';
export { fetchInstall, ArtifactType, type FetchedInstall } from './remote/fetch-install';
export { verifyFetched } from './remote/verify-fetched';
export { importTargets, IMAGE_REPOSITORY } from './remote/import-targets';
export { mountTarget, umountTarget, scratchDir } from './boot-fs/mount-target';
export { createBootFs, type BootFsOptions } from './boot-fs/create-boot-fs';
