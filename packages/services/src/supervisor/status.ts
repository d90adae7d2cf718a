import type { Port } from '@mos/manifest';
import type { Health } from '../health/health-monitor';
import type { UnitState } from './unit';

/** One service as `mosctl services` / `mosctl status` show it. */
export interface ServiceStatus {
  name: string;
  type: 'container' | 'fs-only';
  version: string;
  /** The image manifest digest it runs (or has mounted). */
  digest: string;
  /** Unit states for containers; `mounted` for an active fs-only target. */
  state: UnitState | 'mounted';
  /** The container's init pid (host view) while it runs. */
  pid: number | null;
  /** How often the supervisor restarted it since activation. */
  restarts: number;
  lastExit: { code: number | null; signal: string | null; reason: string; at: string } | null;
  /** When it entered its current state (ISO 8601). */
  since: string;
  /** Its addresses on the `simple` network. */
  address: { ipv4?: string; ipv6?: string } | null;
  /** Host port → container port forwards. */
  ports: Port[];
  health: Health;
  /** How its root is owned by its nsgroup's range: lxc idmapped mount, shifted files, or no user namespace. */
  uidShift?: 'idmap' | 'chown' | 'none';
  /** Why it is `failed`: the reason, the error code when activation itself failed, and its last log lines. */
  failure: { reason: string; code?: string; logTail: string[] } | null;
}

/** Everything `serviceStatus` reports (schema version 1). */
export interface ServicesStatus {
  schema: 1;
  root: string;
  supervisor: { running: boolean; pid: number | null; since: string | null; booted: boolean };
  services: ServiceStatus[];
  updatedAt: string;
}

/** What `boot` returns. */
export interface BootResult {
  services: ServiceStatus[];
  /** Volumes made ready: label and what was done (`kept`, `created`, `recreated`, `mounted`). */
  volumes: { label: string; action: string }[];
  /** Services that are not running (activation failed, crashed at start, or gave up). */
  notRunning: string[];
  /** Services of an earlier state that are no longer in the system and were stopped. */
  removed: string[];
}
