import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { StorageItem, Target, VerifiedState, VerifiedTarget } from '@mos/manifest';
import { invalid } from '../errors';
import { healthSpecOf, type HealthSpec } from '../health/health-spec';
import { readContainerImage, type ContainerImage } from '../image/image-config';
import { renderLxcConfig, type LxcConfigInput } from '../lxc/render-config';
import { ensureBridge } from '../network/bridge';
import { addRules, defaultNic, forwardRules, removeRules, removeRulesWhere, type NatRule } from '../network/forwards';
import { planLease, type Lease } from '../network/leases';
import { readNetworkTable, storeLease } from '../network/net-state';
import { reserveSubids } from '../roots/subids';
import { prepareVolume, type VolumeContext } from '../volumes/volumes';
import type { RuntimeContext } from './context';
import { idmapOf, volumeContext } from './uids';

/** Everything a container activation will do, decided (and validated) before anything changes. */
export interface ContainerPlan {
  name: string;
  target: Target;
  image: ContainerImage;
  idmap?: { hostid: number; size: number };
  lease?: Lease;
  /** The lease held before, restored if the activation fails. */
  previousLease?: Lease;
  health?: HealthSpec;
  storage: { dest: string; item: StorageItem }[];
  /** The config, except for the rootfs idmap choice made after mounting. */
  config: LxcConfigInput;
}

/** Image configs already read in one operation, by digest (several services often share an image). */
export type ImageCache = Map<string, Promise<ContainerImage>>;

async function cachedImage(ctx: RuntimeContext, digest: string, name: string, images?: ImageCache): Promise<ContainerImage> {
  if (!images) return readContainerImage(ctx.paths.store, digest, name);
  let p = images.get(digest);
  if (!p) images.set(digest, (p = readContainerImage(ctx.paths.store, digest, name)));
  // A failure is read again under this target's name, so the error names the right target.
  return p.catch(() => readContainerImage(ctx.paths.store, digest, name));
}

/** What an applied activation set up (to be torn down later). */
export interface AppliedContainer {
  plan: ContainerPlan;
  rules: NatRule[];
  shift: 'idmap' | 'chown' | 'none';
  /** Entries whose owner was shifted (chown mode). */
  shifted: number;
}

/**
 * Plans a container activation: the image's command and environment (no Entrypoint is an
 * error), the nsgroup's uid range, the network lease (address and port conflicts are errors
 * naming the holder), the health check and the volumes. Reads only; nothing changes.
 */
export async function planContainer(ctx: RuntimeContext, state: VerifiedState, vt: VerifiedTarget, images?: ImageCache): Promise<ContainerPlan> {
  const { name, target } = vt;
  const image = await cachedImage(ctx, target.digest, name, images);
  const idmap = idmapOf(ctx, state, target.nsgroup);
  const table = readNetworkTable(ctx.paths.networkState);
  const reserved = state.targets.filter((t) => t.name !== name && t.target.network.type === 'simple' && t.target.network.ipv4).map((t) => t.target.network.ipv4);
  const lease = target.network.type === 'simple' ? planLease(table, name, target.network, ctx.bridge, reserved) : undefined;
  const health = healthSpecOf(state.installs.get(vt.install)!.signed.json, name);
  if (health?.tcp && target.network.type === 'none') throw invalid(`target ${name}: a tcp health check needs a network (its network is "none")`, { target: name });
  const storage = target.storage.map((s) => {
    const item = state.system.storage.find((i) => i.label === s.label);
    if (!item) throw invalid(`target ${name} mounts storage "${s.label}", which the system does not declare`, { target: name, label: s.label });
    return { dest: s.dest, item };
  });
  const network: LxcConfigInput['network'] =
    target.network.type === 'simple'
      ? { type: 'simple', bridge: ctx.settings.bridge.name, ipv4: lease!.ipv4, ipv6: lease!.ipv6, gateway: lease!.ipv4 ? ctx.bridge.address : undefined }
      : { type: target.network.type };
  const config: LxcConfigInput = {
    name,
    rootfs: ctx.paths.rootOf(name),
    idmap,
    network,
    command: image.command,
    workingDir: image.workingDir,
    env: image.env,
    logFile: ctx.paths.lxcLog(name),
    logLevel: ctx.settings.lxcLogLevel,
    mounts: storage.map((s) => ({ source: ctx.paths.storageMount(s.item.label), dest: s.dest, kind: 'dir' as const })),
  };
  renderLxcConfig(config); // refuses commands or environments lxc cannot carry, before any change
  return { name, target, image, idmap, lease, previousLease: table.leases[name], health, storage, config };
}

/**
 * Carries out a plan: volumes ready, the uid range reserved for root, a fresh writable root
 * (previous upper dir removed), ownership shifted (or an idmapped rootfs), the lxc config
 * written, the lease stored, the bridge present and the port forwards added. A failure undoes
 * what this call did.
 */
export async function applyContainer(ctx: RuntimeContext, state: VerifiedState, plan: ContainerPlan): Promise<AppliedContainer> {
  const { name } = plan;
  const rootfs = ctx.paths.rootOf(name);
  const vc: VolumeContext = volumeContext(ctx, state);
  let rules: NatRule[] = [];
  let mounted = false;
  let leased = false;
  try {
    for (const s of plan.storage) await prepareVolume(vc, s.item, false);
    if (plan.idmap) await reserveSubids(ctx.sys, plan.idmap.hostid, plan.idmap.size);
    await ctx.provider.mountWritable({ target: plan.target, dest: rootfs });
    mounted = true;
    let shift: AppliedContainer['shift'] = 'none';
    let shifted = 0;
    if (plan.idmap) {
      shift = await ctx.shift.choose(rootfs, plan.idmap.hostid, plan.idmap.size);
      if (shift === 'chown') shifted = await ctx.sys.shiftOwnership(rootfs, plan.idmap.hostid, plan.idmap.size);
    }
    await rm(ctx.paths.lxcDir(name), { recursive: true, force: true });
    await mkdir(ctx.paths.lxcDir(name), { recursive: true, mode: 0o755 });
    await writeFile(ctx.paths.lxcConfig(name), renderLxcConfig({ ...plan.config, idmappedRootfs: shift === 'idmap' }), { mode: 0o644 });
    if (plan.lease) {
      await storeLease(ctx.paths.networkState, name, plan.lease);
      leased = true;
      await ensureBridge(ctx.sys, ctx.settings.netns, ctx.settings.bridge);
      if (plan.lease.ports.length) {
        const nic = await defaultNic(ctx.sys, ctx.settings.netns);
        rules = plan.lease.ports.flatMap((port) => forwardRules({ comment: ctx.comment(name), nic, ipv4: plan.lease!.ipv4, ipv6: plan.lease!.ipv6, port }));
        await addRules(ctx.sys, ctx.settings.netns, rules);
      }
    }
    return { plan, rules, shift, shifted };
  } catch (e) {
    await removeRules(ctx.sys, ctx.settings.netns, rules).catch(() => undefined);
    if (leased) await storeLease(ctx.paths.networkState, name, plan.previousLease).catch(() => undefined);
    await rm(ctx.paths.lxcDir(name), { recursive: true, force: true }).catch(() => undefined);
    if (mounted) await ctx.provider.umount({ dest: rootfs }).catch(() => undefined);
    throw e;
  }
}

/**
 * Undoes a container activation after its process has stopped: its port forwards removed (with
 * any other rule carrying its comment), the root unmounted with its upper dir, the lxc config
 * removed (so `lxc-ls` no longer lists it), and with `releaseLease` the address given back.
 * The veth goes away with the container.
 */
export async function teardownContainer(ctx: RuntimeContext, name: string, opts: { rules?: NatRule[]; releaseLease: boolean }): Promise<void> {
  if (opts.rules?.length) {
    await removeRules(ctx.sys, ctx.settings.netns, opts.rules);
    // Belt and braces: anything else carrying this service's comment goes too.
    const comment = ctx.comment(name);
    await removeRulesWhere(ctx.sys, ctx.settings.netns, (c) => c === comment);
  }
  await ctx.provider.umount({ dest: ctx.paths.rootOf(name) });
  await rm(ctx.paths.lxcDir(name), { recursive: true, force: true });
  if (opts.releaseLease) await storeLease(ctx.paths.networkState, name, undefined);
}
