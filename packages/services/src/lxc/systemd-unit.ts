/**
 * The systemd unit of a container service (`mosctl boot --systemd`), as the original wrote it
 * (mos-original.md §4.9.1) with the mos-owned lxcpath added: systemd supervises
 * `lxc-execute` and restarts it on failure. Pure.
 *
 * @example
 * import { renderSystemdUnit } from '@mos/services';
 * renderSystemdUnit({ name: 'web', lxcPath: '/var/lib/lxc' });
 */
export function renderSystemdUnit(o: { name: string; lxcPath: string; netns?: string }): string {
  const pre = o.netns ? `/usr/sbin/ip netns exec ${o.netns} ` : '';
  return [
    '[Unit]',
    `Description=${o.name}`,
    'DefaultDependencies=no',
    'After=network-online.target cloud-init.target',
    'Wants=network.target',
    '',
    '[Service]',
    'Restart=on-failure',
    'RestartSec=1',
    `ExecStart=${pre}/usr/bin/lxc-execute -P ${o.lxcPath} -n ${o.name}`,
    `ExecStop=${pre}/usr/bin/lxc-stop -P ${o.lxcPath} -n ${o.name}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
