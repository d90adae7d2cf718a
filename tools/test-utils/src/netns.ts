import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Two network namespaces wired by a veth pair: `ns` (192.168.<net>.1, default route via the
 * client) is where mos's bridge, veths and port forwards live; `client` (192.168.<net>.2)
 * plays a machine outside. Nothing touches the machine's own network. `remove()` deletes both.
 */
export function netnsPair(prefix: string, net = 78): { ns: string; client: string; host: string; remove(): void } {
  const ns = `${prefix}-ns`;
  const client = `${prefix}-cl`;
  const remove = () => {
    for (const n of [ns, client]) spawnSync('ip', ['netns', 'delete', n]);
  };
  remove(); // a leftover of an interrupted run
  try {
    for (const n of [ns, client]) {
      execFileSync('ip', ['netns', 'add', n]);
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    execFileSync('ip', ['link', 'add', 'mosv0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'mosv1', 'netns', client]);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `192.168.${net}.1/24`, 'dev', 'mosv0']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'mosv0', 'up']);
    execFileSync('ip', ['-n', ns, 'route', 'add', 'default', 'via', `192.168.${net}.2`]);
    execFileSync('ip', ['-n', client, 'addr', 'add', `192.168.${net}.2/24`, 'dev', 'mosv1']);
    execFileSync('ip', ['-n', client, 'link', 'set', 'mosv1', 'up']);
  } catch (e) {
    remove();
    throw e;
  }
  return { ns, client, host: `192.168.${net}.1`, remove };
}

// Node itself makes the request (Debian's static busybox wget crashes on this host).
const GET = `require('http').get(process.argv[1], { timeout: 3000 }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => { process.stdout.write(b); process.exit(r.statusCode === 200 ? 0 : 1); }); }).on('error', () => process.exit(1)).on('timeout', () => process.exit(1));`;

/** An HTTP GET from inside namespace `ns`: the body, or undefined when it failed. */
export function httpGetIn(ns: string, url: string): string | undefined {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', GET, url], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}
