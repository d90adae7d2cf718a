/**
 * The supervisor's control protocol: one JSON object per line over the unix socket
 * `R/run/mos/supervisor.sock` (mode 0600, root only). A request names an operation; the answer
 * carries the same id and either a result or an error in its JSON form (`code`, `message`, …).
 */
export type SupervisorRequest =
  | { id: number; op: 'ping' }
  | { id: number; op: 'status' }
  | { id: number; op: 'activate'; name: string; ca?: string }
  | { id: number; op: 'deactivate'; name: string }
  | { id: number; op: 'boot'; ca?: string }
  | { id: number; op: 'shutdown' };

export type SupervisorResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: Record<string, unknown> };

/** Unix socket paths are limited to 107 bytes. */
export const MAX_SOCKET_PATH = 107;
