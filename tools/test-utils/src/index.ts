export { startDockerRegistry, type DockerRegistry, type RegistryConfig } from './docker-registry';
export { tempDirs } from './temp';
export { busyboxTree } from './busybox';
export { runBin, runOk, TOP, type CliResult } from './cli';
export { treeSnapshot } from './snapshot';
export { cleanupMounts, loopsUnder, mountsUnder } from './mounts';
export { startOurRegistry, type OurRegistry } from './our-registry';
export { netnsPair, httpGetIn } from './netns';
export { preserveSubids } from './subids';
