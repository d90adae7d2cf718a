/**
 * The entry points that need the whole runtime (manifest verification, atomfs mounts, the
 * image store), loaded on first use. Requiring `@mos/services` then stays cheap (~15 ms instead
 * of ~270 ms), which every `mosctl` client command pays -- they only talk to the supervisor or
 * read its status file.
 */
import type { SystemdBootResult } from './api/boot-systemd';
import type { ContainerImage } from './image/image-config';
import type { RuntimeOptions } from './runtime/context';
import type { SupervisorHandle } from './supervisor/server';
import type { SupervisorOptions } from './supervisor/supervisor';

// A plain require on first use: this package is CommonJS, and import() would turn into a real
// ESM import that Jest's CommonJS mode cannot run.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(path) as T;

/**
 * Runs the supervisor of `root` in this process (what `mosctl supervise` does): takes
 * `R/run/mos/supervisor.pid`, cleans up after a predecessor that crashed, serves the control
 * socket, and on SIGTERM/SIGINT or a `shutdown` request stops every service cleanly; then `done`
 * resolves.
 *
 * @example
 * import { runSupervisor } from '@mos/services';
 * const h = await runSupervisor({ root: '/', handleSignals: true });
 * await h.done;
 */
export async function runSupervisor(opts: { root: string; handleSignals?: boolean } & RuntimeOptions & SupervisorOptions): Promise<SupervisorHandle> {
  return load<typeof import('./supervisor/server')>('./supervisor/server').runSupervisor(opts);
}

/**
 * `mosctl boot --systemd`: prepare everything as for the supervisor, then hand each container
 * to a systemd unit (`Restart=on-failure`). Refused without systemd as PID 1.
 *
 * @example
 * import { bootSystemd } from '@mos/services';
 * await bootSystemd({ root: '/' });
 */
export async function bootSystemd(opts: { root: string; ca?: string; systemdRunning?: () => boolean } & RuntimeOptions): Promise<SystemdBootResult> {
  return load<typeof import('./api/boot-systemd')>('./api/boot-systemd').bootSystemd(opts);
}

/**
 * The command (Entrypoint + Cmd), environment and working dir of image `digest` in the store;
 * no Entrypoint is `ERR_SERVICES_NO_ENTRYPOINT`.
 *
 * @example
 * import { readContainerImage } from '@mos/services';
 * const img = await readContainerImage('/atomfs-store/mos', 'sha256:…', 'web');
 */
export async function readContainerImage(storeDir: string, digest: string, name: string): Promise<ContainerImage> {
  return load<typeof import('./image/image-config')>('./image/image-config').readContainerImage(storeDir, digest, name);
}
