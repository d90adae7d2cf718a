import { join } from 'node:path';

/**
 * Where the service runtime keeps things under a root `R` (DESIGN.md's on-disk layout). Every
 * path is root-relative -- unlike the original, which chmodded `/var/lib/lxc` and mounted
 * volumes at `/storage` whatever the root (its BUG 13). Names must already be validated.
 *
 * @example
 * import { servicePaths } from '@mos/services';
 * servicePaths('/tmp/r').lxcConfig('web'); // '/tmp/r/var/lib/lxc/web/config'
 */
export function servicePaths(root: string) {
  const scratch = join(root, 'scratch-writes');
  const run = join(root, 'run', 'mos');
  return {
    root,
    /** The mos-owned lxcpath (`lxc-* -P`). */
    lxcPath: join(root, 'var', 'lib', 'lxc'),
    lxcDir: (name: string) => join(root, 'var', 'lib', 'lxc', name),
    lxcConfig: (name: string) => join(root, 'var', 'lib', 'lxc', name, 'config'),
    /** lxc's own log of a container. */
    lxcLog: (name: string) => join(root, 'var', 'log', 'lxc', `${name}.log`),
    /** What the service printed (stdout and stderr of its command). */
    serviceLog: (name: string) => join(root, 'var', 'log', 'mos', `${name}.log`),
    supervisorLog: join(root, 'var', 'log', 'mos', 'supervisor.log'),
    scratch,
    rootsDir: join(scratch, 'roots'),
    /** A target's mounted root (writable for containers, read-only for fs-only). */
    rootOf: (name: string) => join(scratch, 'roots', name),
    /** Upper and work dirs of a writable root; removed at each (re)activation. */
    writesOf: (name: string) => join(scratch, 'rw', name),
    atomMount: (name: string) => join(root, 'mnt', 'atom', name),
    storageDir: join(root, 'storage'),
    storageMount: (label: string) => join(root, 'storage', label),
    volumesDir: join(root, 'storage-volumes'),
    volumeFile: (label: string) => join(root, 'storage-volumes', `${label}.ext4`),
    store: join(root, 'atomfs-store', 'mos'),
    /** Runtime files of the supervisor (a tmpfs on a real host). */
    runDir: run,
    socket: join(run, 'supervisor.sock'),
    pidFile: join(run, 'supervisor.pid'),
    statusFile: join(run, 'services.json'),
    /** Persistent service state: address leases and port forwards. */
    stateDir: join(root, 'var', 'lib', 'mos'),
    networkState: join(root, 'var', 'lib', 'mos', 'network.json'),
    settings: join(root, 'etc', 'mos', 'services.json'),
    systemdUnit: (name: string) => join(root, 'etc', 'systemd', 'system', `${name}.service`),
  };
}

export type ServicePaths = ReturnType<typeof servicePaths>;
