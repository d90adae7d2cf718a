import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifiedState, VerifiedTarget } from '@mos/manifest';
import { ServicesError, errorToJson } from '../errors';
import { writeJsonFile } from '../lib/json-file';
import { parseMountinfo, umountAll } from '../lib/mounts';
import { lxcRunning, lxcStop } from '../lxc/lxc';
import { removeRulesWhere } from '../network/forwards';
import { stripPrefix } from '../network/ipv4';
import { pruneLeases, readNetworkTable } from '../network/net-state';
import { applyContainer, planContainer, teardownContainer, type ImageCache } from '../runtime/container';
import { prepareDirs, type RuntimeContext } from '../runtime/context';
import { applyFsOnly, teardownFsOnly } from '../runtime/fs-only';
import { findTarget, loadState } from '../runtime/load-state';
import { volumeContext } from '../runtime/uids';
import { healthSpecOf } from '../health/health-spec';
import { prepareVolume } from '../volumes/volumes';
import { failedActivationStatus, makeUnit, rotateLog, statusOf, type ActiveService, type UnitFactory } from './active';
import type { BootResult, ServiceStatus, ServicesStatus } from './status';
import { realClock, type Clock, type Runner } from './unit';

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Default: real time. */
  clock?: Clock;
  /** Default: lxc-execute. */
  runnerFor?: (ctx: RuntimeContext, name: string) => Runner;
  /** Loads the verified state (tests may pass a prepared one). Default: re-verify the committed state. */
  loadState?: (ca?: string) => Promise<VerifiedState>;
}

const SKIPPED_NAMES = new Set(['hostfs', 'bootkit']);

/**
 * The one owner of a root's running services. Every change (activate, deactivate, boot,
 * shutdown) runs after the previous one finished, so two mosctl processes never race; status
 * is always answered at once and also written to `R/run/mos/services.json` on every change.
 */
export class Supervisor {
  private readonly active = new Map<string, ActiveService>();
  private readonly failed = new Map<string, ServiceStatus>();
  private queue: Promise<unknown> = Promise.resolve();
  private booted = false;
  private stopping = false;
  private writeScheduled = false;
  private statusWrite: Promise<void> = Promise.resolve();
  /** Set when shutdown finished: the status file belongs to the server's cleanup then. */
  private closed = false;
  private readonly clock: Clock;
  private readonly units: UnitFactory;
  readonly startedAt: number;

  constructor(private readonly ctx: RuntimeContext, private readonly opts: SupervisorOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.startedAt = this.clock.now();
    this.units = { clock: this.clock, runnerFor: opts.runnerFor, onChange: () => this.changed() };
  }

  /** Activates one target (see the package README for what that means per service type). */
  activate(name: string, ca?: string): Promise<ServiceStatus> {
    return this.serial(async () => {
      const state = await this.load(ca);
      const vt = findTarget(state, name);
      await prepareDirs(this.ctx);
      return this.activateNow(state, vt, { wait: true, images: new Map() });
    });
  }

  /** Stops a target and undoes its activation; its address is given back. No-op when it is not active. */
  deactivate(name: string): Promise<{ name: string; was: string | null }> {
    return this.serial(async () => {
      this.failed.delete(name);
      const a = this.active.get(name);
      if (!a) return { name, was: null };
      const was = statusOf(a).state;
      await this.stopActive(a, true);
      this.changed();
      return { name, was };
    });
  }

  /**
   * Brings the whole system up: re-verified state, volumes ready (non-persistent ones made anew
   * on the first boot of this supervisor), every target but hostfs/bootkit activated in
   * manifest order, targets no longer in the system stopped. Returns once each service runs or
   * has failed.
   */
  boot(ca?: string): Promise<BootResult> {
    return this.serial(async () => {
      const state = await this.load(ca);
      await prepareDirs(this.ctx);
      // Non-persistent volumes are made anew only when nothing runs yet: the first boot of this
      // supervisor, not after an `activate` already put services on them.
      const fresh = !this.booted && this.active.size === 0;
      const vc = volumeContext(this.ctx, state);
      const volumes: BootResult['volumes'] = [];
      for (const item of state.system.storage) {
        try {
          volumes.push({ label: item.label, action: (await prepareVolume(vc, item, fresh)).action });
        } catch (e) {
          volumes.push({ label: item.label, action: `failed: ${(e as Error).message}` });
        }
      }
      const wanted = state.targets.filter((t) => t.target.service_type !== 'hostfs' && !SKIPPED_NAMES.has(t.name));
      const removed: string[] = [];
      for (const a of [...this.active.values()]) {
        if (!state.targets.some((t) => t.name === a.name)) {
          await this.stopActive(a, true);
          removed.push(a.name);
        }
      }
      await this.pruneLeases(wanted);
      // One image cache for the whole boot: services often share an image.
      const images = new Map();
      for (const vt of wanted) await this.activateNow(state, vt, { wait: false, images }).catch(() => undefined);
      await Promise.all([...this.active.values()].map((a) => a.unit?.settled()));
      this.booted = true;
      this.changed();
      const order = new Map(wanted.map((t, i) => [t.name, i]));
      const services = this.status()
        .services.filter((s) => order.has(s.name))
        .sort((a, b) => order.get(a.name)! - order.get(b.name)!);
      return { services, volumes, notRunning: services.filter((s) => !['running', 'mounted'].includes(s.state)).map((s) => s.name), removed };
    });
  }

  /** Stops every service cleanly (SIGTERM, SIGKILL after the grace), undoes activations, unmounts volumes. */
  shutdown(): Promise<void> {
    this.stopping = true;
    // Stop the processes at once, outside the queue: a boot waiting for a service to come up
    // must not hold the shutdown back. The queued part then undoes the activations.
    const grace = this.ctx.settings.stopTimeoutMs;
    const stopped = Promise.all([...this.active.values()].map((a) => a.unit?.stop(grace).catch(() => undefined)));
    return this.serial(async () => {
      await stopped;
      for (const a of [...this.active.values()].reverse()) await this.stopActive(a, false).catch(() => undefined);
      const mounts = parseMountinfo(await this.ctx.sys.mountinfo());
      for (const m of mounts.filter((x) => x.mountPoint.startsWith(this.ctx.paths.storageDir + '/')).reverse()) {
        await umountAll(this.ctx.sys, m.mountPoint).catch(() => undefined);
      }
      this.failed.clear();
      await this.writeStatus();
      this.closed = true;
    });
  }

  /**
   * Cleans up after a supervisor that died without shutting down: its containers are killed,
   * this root's port forwards removed, roots and fs-only mounts unmounted, lxc configs removed.
   * Called before the first request is served.
   */
  async recover(): Promise<void> {
    for (const name of await lxcRunning(this.ctx.lxc)) await lxcStop(this.ctx.lxc, name, 0);
    // Forward rules are only ever added while a lease with ports is stored (and removed before
    // it is released), so without such a lease there is nothing to look for.
    const leases = Object.values(readNetworkTable(this.ctx.paths.networkState).leases);
    if (leases.some((l) => l.ports.length)) await removeRulesWhere(this.ctx.sys, this.ctx.settings.netns, (c) => c.startsWith('mos:') && c.endsWith(this.ctx.tag));
    const mounts = parseMountinfo(await this.ctx.sys.mountinfo()).map((m) => m.mountPoint);
    const under = (dir: string) => [...new Set(mounts.filter((m) => m.startsWith(dir + '/')))].reverse();
    for (const m of under(join(this.ctx.root, 'mnt', 'atom'))) await umountAll(this.ctx.sys, m);
    for (const m of under(this.ctx.paths.rootsDir)) await this.ctx.provider.umount({ dest: m });
    for (const n of await readdir(this.ctx.paths.lxcPath).catch(() => [])) await rm(join(this.ctx.paths.lxcPath, n), { recursive: true, force: true });
  }

  /** The status of every active (or failed) service. */
  status(): ServicesStatus {
    const services = [...this.active.values()].map(statusOf);
    for (const f of this.failed.values()) if (!this.active.has(f.name)) services.push(f);
    return {
      schema: 1,
      root: this.ctx.root,
      supervisor: { running: !this.stopping, pid: process.pid, since: new Date(this.startedAt).toISOString(), booted: this.booted },
      services,
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  /** Resolves when every queued change has finished. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined, () => undefined);
  }

  // Each change runs after the previous one; its answer goes out only once the status file
  // shows it, so a `mosctl status` right after `mosctl boot` sees what boot reported.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn).finally(() => this.writeStatus());
    this.queue = run.catch(() => undefined);
    return run;
  }

  // Writes are chained and take the status when they run, so the file never goes back in time.
  private writeStatus(): Promise<void> {
    if (this.closed) return this.statusWrite;
    this.statusWrite = this.statusWrite.then(() => writeJsonFile(this.ctx.paths.statusFile, this.status()).catch(() => undefined));
    return this.statusWrite;
  }

  private load(ca?: string): Promise<VerifiedState> {
    if (this.stopping) throw new ServicesError('ERR_SERVICES_SUPERVISOR_STOPPING', 'the supervisor is stopping; run the command again once it has stopped');
    return this.opts.loadState ? this.opts.loadState(ca) : loadState(this.ctx.root, ca);
  }

  // The caller has run prepareDirs. `wait`: return once the service runs or its first run ended.
  private async activateNow(state: VerifiedState, vt: VerifiedTarget, opts: { wait: boolean; images: ImageCache }): Promise<ServiceStatus> {
    const { name, target } = vt;
    try {
      if (this.stopping) throw new ServicesError('ERR_SERVICES_SUPERVISOR_STOPPING', `not activating ${name}: the supervisor is stopping`, { target: name });
      if (target.service_type === 'hostfs') {
        throw new ServicesError('ERR_SERVICES_HOSTFS_REFUSED', `target ${name} is the host filesystem (hostfs): it cannot be activated on a running system; it changes at the next boot`, { target: name });
      }
      if (target.service_type !== 'container' && target.service_type !== 'fs-only') {
        throw new ServicesError('ERR_SERVICES_UNSUPPORTED_TYPE', `target ${name} has service type "${target.service_type}", which cannot be activated (container or fs-only)`, { target: name });
      }
      const fingerprint = JSON.stringify([target, healthSpecOf(state.installs.get(vt.install)!.signed.json, name) ?? null]);
      const cur = this.active.get(name);
      if (cur && cur.fingerprint === fingerprint && (cur.type === 'fs-only' || ['starting', 'running', 'backoff'].includes(cur.unit!.state))) return statusOf(cur);
      if (target.service_type === 'fs-only') {
        if (cur?.type === 'container') await this.stopActive(cur, true);
        await applyFsOnly(this.ctx, target, cur?.type === 'fs-only' ? cur.target : undefined);
        const a: ActiveService = { name, type: 'fs-only', target, fingerprint, since: this.clock.now() };
        this.active.set(name, a);
        this.failed.delete(name);
        this.changed();
        return statusOf(a);
      }
      const plan = await planContainer(this.ctx, state, vt, opts.images); // bad input fails here, before anything changes
      if (cur) await this.stopActive(cur, false);
      const applied = await applyContainer(this.ctx, state, plan);
      const { unit, health } = makeUnit(this.ctx, applied, this.units);
      const a: ActiveService = { name, type: 'container', target, fingerprint, since: this.clock.now(), applied, unit, health };
      this.active.set(name, a);
      this.failed.delete(name);
      rotateLog(this.ctx.paths.serviceLog(name));
      rotateLog(this.ctx.paths.lxcLog(name));
      unit.start();
      if (opts.wait) await unit.settled();
      return statusOf(a);
    } catch (e) {
      const j = errorToJson(e);
      this.failed.set(name, failedActivationStatus(target, { code: j.code as string | undefined, message: String(j.message) }, this.clock.now()));
      this.changed();
      throw e;
    }
  }

  private async stopActive(a: ActiveService, releaseLease: boolean): Promise<void> {
    if (a.type === 'container') {
      a.health?.stop();
      await a.unit?.stop(this.ctx.settings.stopTimeoutMs);
      await teardownContainer(this.ctx, a.name, { rules: a.applied?.rules, releaseLease });
    } else {
      await teardownFsOnly(this.ctx, a.name);
    }
    this.active.delete(a.name);
  }

  // Leases of services that are gone, or whose automatic address a service now asks for explicitly.
  private async pruneLeases(wanted: VerifiedTarget[]): Promise<void> {
    const simple = new Map(wanted.filter((t) => t.target.network.type === 'simple').map((t) => [t.name, t.target.network]));
    const explicit = new Set([...simple.values()].map((n) => n.ipv4 && stripPrefix(n.ipv4)).filter(Boolean));
    // A running service keeps its lease: taking its address away would duplicate it on the wire.
    const collides = (name: string, ipv4?: string, auto?: boolean) => !this.active.has(name) && !!auto && !!ipv4 && explicit.has(stripPrefix(ipv4));
    await pruneLeases(this.ctx.paths.networkState, (name, l) => simple.has(name) && !collides(name, l.ipv4, l.auto));
  }

  private changed(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      void this.writeStatus();
    });
  }
}
