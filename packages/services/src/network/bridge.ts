import type { Sys } from '../sys';

/**
 * Makes sure the `simple` network's bridge exists: when absent, creates it with the configured
 * address, brings it up and turns on IPv4 forwarding (port forwards need it; lxc-net would have
 * done both). An existing bridge is used as it is. Returns whether it was created.
 */
export async function ensureBridge(sys: Sys, netns: string | undefined, bridge: { name: string; address: string }): Promise<boolean> {
  const show = await sys.run('ip', ['-o', 'link', 'show', 'dev', bridge.name], { netns, allowFail: true });
  if (show.code === 0) return false;
  await sys.run('ip', ['link', 'add', bridge.name, 'type', 'bridge'], { netns });
  await sys.run('ip', ['addr', 'add', bridge.address, 'dev', bridge.name], { netns });
  await sys.run('ip', ['link', 'set', bridge.name, 'up'], { netns });
  await sys.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { netns });
  return true;
}
