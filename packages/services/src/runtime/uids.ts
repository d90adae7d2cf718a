import type { VerifiedState } from '@mos/manifest';
import { ServicesError } from '../errors';
import type { VolumeContext } from '../volumes/volumes';
import type { RuntimeContext } from './context';

const noGroup = (g: string) => g === '' || g === 'none';

/**
 * The host range of an nsgroup (from the system manifest's `uidmaps`; distinct per group) or
 * undefined for `""`/`none`, which run without a user namespace.
 */
export function idmapOf(ctx: RuntimeContext, state: VerifiedState, nsgroup: string): { hostid: number; size: number } | undefined {
  if (noGroup(nsgroup)) return undefined;
  const m = state.system.uidmaps.find((u) => u['idmap-name'] === nsgroup);
  if (!m) throw new ServicesError('ERR_SERVICES_STATE_CORRUPT', `nsgroup "${nsgroup}" has no uid range in the installed system manifest`, { nsgroup });
  return { hostid: m.hostid, size: ctx.uidSize };
}

/** The volume context of a state: who owns which volume. */
export function volumeContext(ctx: RuntimeContext, state: VerifiedState): VolumeContext {
  return {
    sys: ctx.sys,
    paths: ctx.paths,
    devices: ctx.settings.volumeDevices,
    hostidOf: (g) => idmapOf(ctx, state, g)?.hostid ?? 0,
  };
}
