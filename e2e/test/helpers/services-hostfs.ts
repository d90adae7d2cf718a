import { copyFileSync, chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTree, copyWithLibs, runOk, TOP } from '@mos/test-utils';
import type { World } from './world';

/**
 * A hostfs image that boots into mos's service runtime (issue 15 §4 scenario 2): this host's
 * busybox, node, lxc and dmsetup, the single-file mosctl bundle, and an init that runs
 * `mosctl boot`, checks the container service answers, and reports it as `MARK:` lines.
 */

/** The service's answer comes from here (host networking: the guest's own loopback). */
export const SERVICE_URL = 'http://127.0.0.1:8080/';

/** The one-file mosctl (`packages/mosctl/scripts/bundle.js`, part of mosctl's build). */
export const MOSCTL_BUNDLE = join(TOP, 'packages', 'mosctl', 'dist', 'mosctl.js');

// What `mosctl boot` and the container need besides busybox: lxc (and the static init lxc-execute
// bind-mounts into a container that has none), dmsetup for atomfs's dm-verity mounts of the
// container's layers, flock for @mos/manifest's state lock, node for mosctl. busybox covers mount,
// umount, losetup, ip, wget and sh with the flags @mos/services and @mos/atomfs use (not
// `wget -T`: Debian's busybox 1.35 segfaults on it, so the init bounds wget with `timeout`).
const DYNAMIC = [
  '/usr/bin/node',
  '/usr/bin/lxc-execute',
  '/usr/bin/lxc-start',
  '/usr/bin/lxc-stop',
  '/usr/bin/lxc-info',
  '/usr/bin/lxc-ls',
  '/usr/bin/lxc-attach',
  '/usr/sbin/init.lxc',
  '/usr/sbin/dmsetup',
  '/usr/bin/flock',
];
const STATIC = ['/usr/sbin/init.lxc.static'];

/**
 * hostfs's /sbin/init: cgroup2, /tmp, loopback, then `mosctl boot`; waits (bounded) for the
 * service to answer; reports the answer, the supervisor's view (`mosctl status --json`), what
 * the kernel says about the container's init (uid map, cgroup, owner), and every dm device;
 * then powers off. `MARK:hostfs-done` is always the last line.
 */
const SERVICES_INIT = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 FORCE_COLOR=0
up() { cut -d' ' -f1 /proc/uptime; }
dms() { for n in $(dmsetup ls 2>/dev/null | cut -f1 | cut -d' ' -f1); do echo "MARK:$1 $n $(dmsetup status "$n" | awk '{print $3, $NF}')"; done; }
tails() {
  for f in /tmp/boot.out /var/log/mos/supervisor.log /var/log/mos/hostfstarget.log /var/log/lxc/hostfstarget.log; do
    [ -f "$f" ] && tail -n 25 "$f" | sed "s|^|  $f: |"
  done
}
echo "MARK:hostfs-init pid=$$ uptime=$(up)"
dms dm
mount -t cgroup2 cgroup2 /sys/fs/cgroup || echo "MARK:service-failed cannot mount cgroup2"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
ip link set lo up
echo "MARK:mosctl-boot start uptime=$(up)"
mosctl boot > /tmp/boot.out 2>&1
rc=$?
echo "MARK:mosctl-boot rc=$rc uptime=$(up)"
sed 's/^/  boot: /' /tmp/boot.out
answer=
i=0
while [ $i -lt 60 ]; do
  answer=$(timeout 5 wget -q -O - ${SERVICE_URL} 2>/dev/null) && [ -n "$answer" ] && break
  answer=
  i=$((i + 1))
  sleep 0.5
done
if [ -n "$answer" ]; then
  echo "MARK:service $answer"
  echo "MARK:service-answered uptime=$(up)"
else
  echo "MARK:service-failed no answer from ${SERVICE_URL} after 60 tries (mosctl boot rc=$rc)"
  tails
fi
mosctl status --json > /tmp/status.json 2> /tmp/status.err
echo "MARK:status rc=$? uptime=$(up)"
node -e '
  const s = JSON.parse(require("fs").readFileSync("/tmp/status.json", "utf8"));
  for (const x of s.services || []) console.log("MARK:service-state", x.name, x.state, x.pid ?? "-", x.uidShift ?? "-");
' > /tmp/state || sed 's/^/  status: /' /tmp/status.err
cat /tmp/state
pid=$(sed -n 's/^MARK:service-state hostfstarget [a-z]* \\([0-9][0-9]*\\) .*$/\\1/p' /tmp/state)
if [ -n "$pid" ] && [ -d /proc/$pid ]; then
  echo "MARK:service-uidmap $(head -n 1 /proc/$pid/uid_map | tr -s ' ' | sed 's/^ //')"
  echo "MARK:service-cgroup $(cat /proc/$pid/cgroup)"
  echo "MARK:service-owner $(stat -c %u /proc/$pid)"
  echo "MARK:service-utsns $(readlink /proc/$pid/ns/uts) $(readlink /proc/1/ns/uts)"
fi
[ -e /scratch-writes/roots/hostfstarget/bin/busybox ] && echo "MARK:service-root-owner $(stat -c %u /scratch-writes/roots/hostfstarget/bin/busybox)"
# The trial of the state (issue 10 §4): wait (bounded) until the supervisor's watch confirmed
# it or rolled back, then report; a state that was never on trial reports at once.
i=0
while [ $i -lt 60 ] && mosctl status --json 2>/dev/null | grep -q '"pending":'; do i=$((i + 1)); sleep 1; done
mosctl status --json > /tmp/status2.json 2>/dev/null
node -e '
  const s = JSON.parse(require("fs").readFileSync("/tmp/status2.json", "utf8"));
  const short = (c) => (c ? c.slice(0, 12) : "-");
  console.log("MARK:lifecycle commit=" + short(s.commit) + " booted=" + short(s.bootedCommit) + " pending=" + (s.pending ? s.pending.kind : "-") +
    " confirmed=" + (s.confirmed && s.confirmed.commit === s.commit ? s.confirmed.by : "-"));
  if (s.lastAutoRollback) console.log("MARK:auto-rollback " + s.lastAutoRollback.reason);
' || echo "MARK:lifecycle unreadable"
grep -E 'confirmed|roll|fell back' /var/log/mos/supervisor.log 2>/dev/null | sed 's/^/MARK:watch /'
dms dm-after
# What mos wrote (the state, the boot count) must reach the disk before the harness stops qemu.
sync
echo "MARK:hostfs-done uptime=$(up)"
poweroff -f
`;

/** Copies a host binary and its libraries into `tree`, replacing a busybox applet link of that name. */
function copyBin(bin: string, tree: string): void {
  rmSync(join(tree, bin), { force: true });
  copyWithLibs(bin, tree);
}

/**
 * Lays out the services hostfs under `dir` as two layer dirs, base first: the host's tools
 * (busybox with its applet links, node, lxc, dmsetup, flock, with their libraries at their
 * paths) and mos's part (the mosctl bundle as /usr/bin/mosctl, /sbin/init, subordinate ids).
 * Throws when mosctl is not built.
 */
export function buildServicesHostfs(dir: string): string[] {
  if (!existsSync(MOSCTL_BUNDLE)) throw new Error(`${MOSCTL_BUNDLE} is missing: build mosctl first (npx nx run mosctl:build)`);
  const tools = busyboxTree(join(dir, 'tools'), { 'etc/hostname': 'mos-services\n' });
  for (const b of DYNAMIC) copyBin(b, tools);
  for (const b of STATIC) {
    rmSync(join(tools, b), { force: true });
    copyFileSync(b, join(tools, b));
    chmodSync(join(tools, b), 0o755);
  }
  // lxc mounts a container's rootfs here (LXCROOTFSMOUNT) before pivoting into it.
  const dirs = ['config', 'atomfs-store', 'scratch-writes', 'factory', 'run', 'boot/efi', 'usr/lib/x86_64-linux-gnu/lxc/rootfs', 'var/lib/lxc', 'var/log'];
  for (const d of dirs) mkdirSync(join(tools, d), { recursive: true });

  const mos = join(dir, 'mos');
  for (const d of ['sbin', 'usr/bin', 'etc']) mkdirSync(join(mos, d), { recursive: true });
  copyFileSync(MOSCTL_BUNDLE, join(mos, 'usr', 'bin', 'mosctl'));
  chmodSync(join(mos, 'usr', 'bin', 'mosctl'), 0o755);
  writeFileSync(join(mos, 'sbin', 'init'), SERVICES_INIT, { mode: 0o755 });
  // nsgroup ranges are reserved for root here (mos runs `usermod -v/-w` otherwise, and shadow is
  // not in the image): 1000 nsgroups' worth from the host policy's 100000.
  writeFileSync(join(mos, 'etc', 'subuid'), 'root:100000:65536000\n');
  writeFileSync(join(mos, 'etc', 'subgid'), 'root:100000:65536000\n');
  return [tools, mos];
}

/**
 * The container image: the busybox fixture tree plus an entrypoint that writes what the
 * container sees of itself (uid, hostname, uid map) into a page and serves it with busybox
 * httpd on the host network's loopback, port 8080. Built into the world's layout as `tag`.
 */
export async function buildServiceImage(w: World, dir: string, tag: string): Promise<void> {
  const tree = busyboxTree(join(dir, 'rootfs'), { 'etc/hostname': 'mos-e2e\n' });
  const layer = join(dir, 'svc');
  mkdirSync(join(layer, 'www'), { recursive: true });
  writeFileSync(
    join(layer, 'serve.sh'),
    `#!/bin/sh
echo "hello from mos: uid=$(id -u) host=$(hostname) map=$(head -n 1 /proc/self/uid_map | tr -s ' ' | sed 's/^ //' | tr ' ' ,)" > /www/index.html
exec httpd -f -p 127.0.0.1:8080 -h /www
`,
    { mode: 0o755 },
  );
  await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', tag, '--entrypoint', '/serve.sh', tree, layer]);
}

/** An install manifest: `hostfs` from `hostfsTag`, and `hostfstarget`, a container in nsgroup c1 with host networking, from `containerTag`. */
export function servicesYaml(w: World, hostfsTag: string, containerTag: string): string {
  const t = (name: string, tag: string, type: string, nsgroup: string) =>
    `  - service_name: ${name}\n    source: oci:${w.zothub}:${tag}\n    version: 1.0.0\n    service_type: ${type}\n    nsgroup: "${nsgroup}"\n    network: {type: host}\n`;
  return `version: 1\nproduct: ${w.product}\nupdate_type: complete\ntargets:\n${t('hostfs', hostfsTag, 'hostfs', '')}${t('hostfstarget', containerTag, 'container', 'c1')}`;
}
