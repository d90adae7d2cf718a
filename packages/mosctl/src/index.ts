export { EXIT, exitCodeOf } from './cli/exit-codes';
export * from './errors';
export { publish, type PublishOptions, type PublishResult } from './ops/publish';
export { install, type InstallOptions, type InstallResult } from './ops/install';
export { update, type UpdateOptions, type UpdateResult } from './ops/update';
export { applyStaged, type ApplyOptions } from './ops/apply-staged';
export { updateAndActivate, rollbackAndActivate, type Changed } from './ops/state-changes';
export { startApiServer, type ApiServer, type ApiServerOptions } from './api/server';
export { OPERATIONS, type Operation } from './api/operations';
export { rollback, type RollbackOptions, type RollbackResult } from './ops/rollback';
export { confirm, type ConfirmResult } from './ops/confirm';
export { recordBootFallback, readBooted, type BootedRecord } from './ops/boot-fallback';
export { watchTrial, bootedCommit, type TrialWatch } from './ops/watch-trial';
export { judgeTrial, trialStart, type TrialView, type TrialVerdict } from './ops/trial-verdict';
export { commitOnTrial, parseDuration, DEFAULT_CONFIRM_TIMEOUT, DEFAULT_SETTLE, type TrialOptions } from './ops/trial';
export { activateChanges, type ActivationResult } from './ops/activate-changes';
export { gc, type GcOptions, type GcResult } from './ops/gc';
export { mount, umount, type MountOptions, type MountResult } from './ops/mount';
export { status, STATUS_SCHEMA_VERSION, type StatusReport, type TargetStatus } from './ops/status';
export { installPartition, type InstallPartitionOptions, type InstallPartitionResult, type InstalledPartition } from './ops/install-partition';
export {
  planPartitions,
  sfdiskScript,
  minDiskBytes,
  minSizes,
  FULL_SIZES,
  PARTITION_NAMES,
  PartitionType,
  type PartitionName,
  type PartitionPlan,
  type PlannedPartition,
} from './disk/plan';
export { readGpt, type GptEntry } from './disk/gpt';
export { diskPartitions, partitionsByName, type DiskPartition } from './disk/find';
export { inspectDisk, describeContents, type DiskInfo } from './disk/inspect';
export { realDiskSys, type DiskSys } from './disk/sys';
export { bootkitBuild, bootkitLayout } from './ops/bootkit';
