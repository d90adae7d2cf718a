import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { uidRangePolicy } from '@mos/manifest';
import { rootTag, ruleComment } from '../network/forwards';
import { parseCidr, type Cidr } from '../network/ipv4';
import type { LxcContext } from '../lxc/lxc';
import { servicePaths, type ServicePaths } from '../paths';
import { AtomfsRootProvider, type RootProvider } from '../roots/root-provider';
import { ShiftChooser } from '../roots/uid-shift';
import { loadSettings, type ServicesSettings } from '../settings';
import { realSys, type Sys } from '../sys';
import { assertRoot } from '../validate';

/** What the service runtime of one root works with. */
export interface RuntimeContext {
  root: string;
  paths: ServicePaths;
  settings: ServicesSettings;
  sys: Sys;
  provider: RootProvider;
  lxc: LxcContext;
  shift: ShiftChooser;
  /** Width of every nsgroup's uid range (65536 on a host, 2000 nested). */
  uidSize: number;
  bridge: Cidr;
  /** The iptables comment of a service's rules. */
  comment: (name: string) => string;
  /** The tag all of this root's rule comments end with. */
  tag: string;
}

/** Options shared by every entry point: tests pass fakes, production takes the defaults. */
export interface RuntimeOptions {
  /** Machine effects. Default: the real machine. */
  sys?: Sys;
  /** How roots are mounted. Default: the atomfs molecule. */
  provider?: RootProvider;
  /** Settings instead of `R/etc/mos/services.json`. */
  settings?: ServicesSettings;
}

/** Builds the runtime context of `root` (validated, settings loaded). */
export function createRuntime(root: string, opts: RuntimeOptions = {}): RuntimeContext {
  assertRoot(root);
  const paths = servicePaths(root);
  const settings = opts.settings ?? loadSettings(root);
  const sys = opts.sys ?? realSys;
  return {
    root,
    paths,
    settings,
    sys,
    provider: opts.provider ?? new AtomfsRootProvider(sys, paths.store, join(paths.scratch, 'atomfs')),
    lxc: { sys, lxcPath: paths.lxcPath, netns: settings.netns },
    shift: new ShiftChooser(sys, paths.runDir, settings.uidShift),
    uidSize: uidRangePolicy(sys.uidMap()).size,
    bridge: parseCidr(settings.bridge.address)!,
    comment: (name) => ruleComment(root, name),
    tag: `@${rootTag(root)}`,
  };
}

/**
 * Creates the runtime directories with modes the containers can traverse: the root of a
 * container in a user namespace is an unprivileged uid on the host, so every directory on the
 * way to its rootfs, config and volumes needs o+x (the original chmodded `/`, `/var`,
 * `/var/lib` and `/var/lib/lxc` -- absolute paths whatever the root, its BUG 13).
 */
export async function prepareDirs(ctx: RuntimeContext): Promise<void> {
  const p = ctx.paths;
  const open = [ctx.root, join(ctx.root, 'var'), join(ctx.root, 'var', 'lib'), p.lxcPath, p.scratch, p.rootsDir, p.storageDir, join(ctx.root, 'mnt'), join(ctx.root, 'mnt', 'atom')];
  for (const d of open) {
    await mkdir(d, { recursive: true });
    await chmod(d, 0o755);
  }
  for (const d of [join(ctx.root, 'var', 'log', 'lxc'), join(ctx.root, 'var', 'log', 'mos'), p.runDir, p.stateDir]) await mkdir(d, { recursive: true, mode: 0o755 });
}
