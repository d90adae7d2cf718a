import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ServicesError } from '../errors';
import { renderSystemdUnit } from '../lxc/systemd-unit';
import { applyContainer, planContainer } from '../runtime/container';
import { createRuntime, prepareDirs, type RuntimeOptions } from '../runtime/context';
import { applyFsOnly } from '../runtime/fs-only';
import { loadState } from '../runtime/load-state';
import { volumeContext } from '../runtime/uids';
import { absoluteRoot } from '../validate';
import { prepareVolume } from '../volumes/volumes';

/** What `bootSystemd` did per target. */
export interface SystemdBootResult {
  volumes: { label: string; action: string }[];
  targets: { name: string; type: 'container' | 'fs-only'; unit?: string }[];
}

/**
 * `mosctl boot --systemd`: when PID 1 is systemd, hand supervision to it as the original did.
 * Everything is prepared as for our supervisor (volumes, roots, lxc configs, network), then each
 * container gets `R/etc/systemd/system/<name>.service` (`Restart=on-failure`, `lxc-execute`)
 * and is enabled and started with `systemctl start --no-block`. Port forwards are added here,
 * once, as the original did. Refused (`ERR_SERVICES_SYSTEMD_UNAVAILABLE`) without systemd.
 *
 * @example
 * import { bootSystemd } from '@mos/services';
 * await bootSystemd({ root: '/' });
 */
export async function bootSystemd(opts: { root: string; ca?: string; systemdRunning?: () => boolean } & RuntimeOptions): Promise<SystemdBootResult> {
  const running = opts.systemdRunning ?? (() => existsSync('/run/systemd/system'));
  if (!running()) {
    throw new ServicesError('ERR_SERVICES_SYSTEMD_UNAVAILABLE', 'PID 1 is not systemd (no /run/systemd/system); run mosctl boot without --systemd to use the mos supervisor');
  }
  const root = absoluteRoot(opts.root);
  const ctx = createRuntime(root, opts);
  const state = await loadState(root, opts.ca && resolve(opts.ca));
  await prepareDirs(ctx);
  const vc = volumeContext(ctx, state);
  const volumes: SystemdBootResult['volumes'] = [];
  for (const item of state.system.storage) volumes.push({ label: item.label, action: (await prepareVolume(vc, item, true)).action });
  const targets: SystemdBootResult['targets'] = [];
  const wanted = state.targets.filter((t) => t.target.service_type !== 'hostfs' && t.name !== 'hostfs' && t.name !== 'bootkit');
  for (const vt of wanted) {
    if (vt.target.service_type === 'fs-only') {
      await applyFsOnly(ctx, vt.target);
      targets.push({ name: vt.name, type: 'fs-only' });
      continue;
    }
    const plan = await planContainer(ctx, state, vt);
    await applyContainer(ctx, state, plan);
    const unit = ctx.paths.systemdUnit(vt.name);
    await mkdir(dirname(unit), { recursive: true });
    await writeFile(unit, renderSystemdUnit({ name: vt.name, lxcPath: ctx.paths.lxcPath, netns: ctx.settings.netns }), { mode: 0o644 });
    targets.push({ name: vt.name, type: 'container', unit });
  }
  const units = targets.filter((t) => t.unit).map((t) => `${t.name}.service`);
  if (units.length) {
    await ctx.sys.run('systemctl', ['daemon-reload']);
    await ctx.sys.run('systemctl', ['enable', ...units]);
    await ctx.sys.run('systemctl', ['start', '--no-block', ...units]);
  }
  return { volumes, targets };
}
