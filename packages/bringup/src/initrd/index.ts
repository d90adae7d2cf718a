export { cpioNewc, sortCpioEntries, normalizeArchivePath, type CpioEntry, type CpioOptions } from './cpio-newc';
export { compressorCommand, assertCompression, INITRD_COMPRESSIONS, DEFAULT_INITRD_COMPRESSION, type InitrdCompression } from './compress';
export { parseModinfo, readModinfo, readModinfoSync, normalizeModuleName, type ModInfo } from './modinfo';
export { findKernel, loadModuleIndex, moduleNameOf, type KernelTree, type ModuleIndex } from './kernel-tree';
export { resolveModules, aliasMatches, type ResolveModulesOptions, type ResolvedModules } from './resolve-modules';
export { parseLdd, sharedLibraries, type LddReport } from './elf-libs';
export { initScript, INITRD_PATHS, type InitScriptOptions } from './init-script';
export { initrdEntries, type InitrdContents } from './initrd-layout';
export { writeArchive, type WriteArchiveOptions } from './write-archive';
export {
  buildInitramfs,
  defaultBundlePath,
  packageRoot,
  DEFAULT_INITRD_MODULES,
  OPTIONAL_INITRD_MODULES,
  type BuildInitramfsOptions,
  type BuildInitramfsResult,
} from './build-initramfs';
export { installDistroHooks, DISTRO_BUILDERS, DISTRO_PATHS, type DistroBuilder, type InstallDistroHooksOptions, type InstallDistroHooksResult } from './distro-hooks';
