import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServicesError } from '../errors';
import { ensureSupervisor, request, supervisorRunning } from '../supervisor/client';
import type { BootResult, ServiceStatus } from '../supervisor/status';
import { absoluteRoot, assertTargetName } from '../validate';

const rootOf = absoluteRoot;
// The supervisor is a long-lived process with its own working dir: hand it absolute paths.
const caOf = (ca?: string) => (ca ? resolve(ca) : undefined);

/** How to start the supervisor when none runs (`mosctl` passes `[node, mosctl, 'supervise', '--rfs', R]`). */
export interface SupervisorLaunch {
  root: string;
  supervisorCommand: string[];
}

/**
 * Boots the services of the installed system at `root` (what `mosctl boot` does): starts the
 * supervisor if none runs, then has it re-verify the committed state, prepare the storage
 * volumes and activate every target but hostfs/bootkit in manifest order. Resolves once each
 * service runs or has failed; `notRunning` lists the ones that do not run.
 *
 * @example
 * import { boot } from '@mos/services';
 * const r = await boot({ root: '/', supervisorCommand: ['/usr/bin/mosctl', 'supervise'] });
 * console.log(r.services.map((s) => `${s.name} ${s.state}`));
 */
export async function boot(opts: SupervisorLaunch & { ca?: string }): Promise<BootResult> {
  const root = rootOf(opts.root);
  await ensureSupervisor(root, opts.supervisorCommand);
  return request<BootResult>(root, 'boot', { ca: caOf(opts.ca) });
}

/**
 * Activates one target (`mosctl activate -t NAME`): fs-only → mounted at `R/mnt/atom/<name>`;
 * container → a fresh root, lxc config, network, then supervised. The same version again is a
 * no-op; a different one restarts it; hostfs is refused.
 *
 * @example
 * import { activate } from '@mos/services';
 * await activate({ root: '/', name: 'web', supervisorCommand: ['/usr/bin/mosctl', 'supervise'] });
 */
export async function activate(opts: SupervisorLaunch & { name: string; ca?: string }): Promise<ServiceStatus> {
  const root = rootOf(opts.root);
  assertTargetName(opts.name);
  await ensureSupervisor(root, opts.supervisorCommand);
  return request<ServiceStatus>(root, 'activate', { name: opts.name, ca: caOf(opts.ca) });
}

/**
 * Stops a target and undoes its activation (`mosctl deactivate -t NAME`): the service stopped,
 * port forwards removed, address released, root unmounted, lxc config removed. `was` is the
 * state it had, null when it was not active.
 *
 * @example
 * import { deactivate } from '@mos/services';
 * await deactivate({ root: '/', name: 'web' });
 */
export async function deactivate(opts: { root: string; name: string }): Promise<{ name: string; was: string | null }> {
  const root = rootOf(opts.root);
  assertTargetName(opts.name);
  if (!(await supervisorRunning(root))) return { name: opts.name, was: null };
  return request(root, 'deactivate', { name: opts.name });
}

/**
 * Stops mos's services (`mosctl supervise --stop`): every service stopped cleanly (SIGTERM,
 * SIGKILL after the grace), activations undone, volumes unmounted, the supervisor gone.
 * Resolves once the supervisor process has exited. Returns false when none was running.
 *
 * @example
 * import { stopServices } from '@mos/services';
 * await stopServices({ root: '/' });
 */
export async function stopServices(opts: { root: string }): Promise<boolean> {
  const root = rootOf(opts.root);
  let pid: number;
  try {
    pid = (await request<{ pid: number }>(root, 'ping')).pid;
  } catch {
    return false;
  }
  await request(root, 'shutdown');
  // The supervisor answers before its process ends; wait for the end (a hang guard, not a limit).
  for (let waited = 0; waited < 120_000; waited += 20) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new ServicesError('ERR_SERVICES_SUPERVISOR_BUSY', `the supervisor (pid ${pid}) stopped its services but did not exit`, { pid });
}

/** Whether a process runs: gone, or a zombie its parent has not reaped yet, counts as ended. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
