// The shared fixture (tools/test-utils): docker-registry on a free loopback port, temp storage.
export { startDockerRegistry, type DockerRegistry, type RegistryConfig } from '@mos/test-utils';
