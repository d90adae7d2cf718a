export { EXIT, exitCodeOf } from './cli/exit-codes';
export * from './errors';
export { publish, type PublishOptions, type PublishResult } from './ops/publish';
export { install, type InstallOptions, type InstallResult } from './ops/install';
export { update, type UpdateOptions, type UpdateResult } from './ops/update';
export { mount, umount, type MountOptions, type MountResult } from './ops/mount';
export { status, STATUS_SCHEMA_VERSION, type StatusReport, type TargetStatus } from './ops/status';
