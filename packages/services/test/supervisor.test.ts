// The supervisor process: one per root, health checks restart unhealthy services, a crashed
// supervisor's leftovers are cleaned by the next one, status is a file read.
import { boot, runSupervisor, serviceStatus, stopServices } from '@mos/services';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyRoot, leftovers } from './helpers/cleanup';
import { addImage, install, makeKeys, makeRoot, makeRootfs, supervisorCommand, target, writeSettings, type TestKeys } from './helpers/system';
import { waitFor, waitService } from './helpers/wait';

describe('the supervisor', () => {
  let keys: TestKeys;
  let root: string;
  let rootfs: string;

  beforeAll(async () => {
    keys = await makeKeys();
    root = makeRoot(keys);
    rootfs = makeRootfs({
      'serve.sh': '#!/bin/sh\necho "run $(date +%s%N)"\nexec sleep 1000\n',
      // healthy while /healthy exists in its root; the test removes it from the host side
      'check.sh': '#!/bin/sh\ntest -f /healthy\n',
      healthy: 'yes\n',
    });
    const img = await addImage(root, rootfs, { entrypoint: ['/serve.sh'] });
    await install(root, keys, [
      target('steady', img),
      { ...target('checked', img), health: { command: ['/check.sh'], interval: 0.2, timeout: 2, retries: 2 } },
    ]);
    writeSettings(root);
  });

  afterAll(async () => {
    await destroyRoot(root, undefined, rootfs, keys.dir);
  });

  test('runs once per root: a second one is refused while the first runs', async () => {
    await boot({ root, supervisorCommand: supervisorCommand(root) });
    const pid = Number(readFileSync(join(root, 'run/mos/supervisor.pid'), 'utf8'));
    expect(serviceStatus({ root }).supervisor).toMatchObject({ running: true, pid, booted: true });
    await expect(runSupervisor({ root })).rejects.toMatchObject({ code: 'ERR_SERVICES_SUPERVISOR_BUSY', details: { pid } });
  });

  test('a failing health check makes the service unhealthy and restarts it like a crash', async () => {
    const ok = await waitService(root, 'checked', 'healthy', (s) => s.health === 'healthy');
    expect(ok.restarts).toBe(0);
    // The root is the container's own overlay: removing the file there is what the check sees.
    rmSync(join(root, 'scratch-writes/roots/checked/healthy'));
    const restarted = await waitService(root, 'checked', 'restarted as unhealthy', (s) => s.restarts >= 1 && s.state === 'running');
    expect(restarted.lastExit?.reason).toBe('unhealthy');
    expect(restarted.pid).not.toBe(ok.pid);
    writeFileSync(join(root, 'scratch-writes/roots/checked/healthy'), 'again\n');
    await waitService(root, 'checked', 'healthy again', (s) => s.health === 'healthy');
  });

  test('a supervisor killed with SIGKILL leaves a stale status; the next one cleans up and boots again', async () => {
    const pid = Number(readFileSync(join(root, 'run/mos/supervisor.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const stale = serviceStatus({ root });
    expect(stale).toMatchObject({ stale: true, supervisor: { running: false } });
    expect(leftovers(root).containers.sort()).toEqual(['checked', 'steady']); // orphans of the dead one
    const r = await boot({ root, supervisorCommand: supervisorCommand(root) });
    expect(r.services.map((s) => [s.name, s.state])).toEqual([
      ['steady', 'running'],
      ['checked', 'running'],
    ]);
    expect(serviceStatus({ root }).stale).toBeUndefined();
    expect(await stopServices({ root })).toBe(true);
    expect(leftovers(root)).toEqual({ mounts: [], containers: [] });
  });
});
