import { invalid } from '../errors';

/**
 * A per-target health check, an extension field `health` of an install-manifest target (the
 * original ignores unknown keys, so manifests carrying it still work there):
 * `{"command": ["/bin/check"]}` runs inside the container (exit 0 = healthy), `{"tcp": 80}`
 * connects to the container's port. Times are seconds (fractions allowed).
 */
export interface HealthSpec {
  command?: string[];
  tcp?: number;
  /** Seconds between checks. Default 10. */
  interval: number;
  /** Seconds one check may take. Default 5. */
  timeout: number;
  /** Consecutive failures that make the service unhealthy (then restarted like a crash). Default 3. */
  retries: number;
  /** Seconds after start before failures count. Default 0. */
  startPeriod: number;
}

const num = (v: unknown, dflt: number, field: string, name: string, min = 0) => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw invalid(`target ${name}: health.${field} must be a number ≥ ${min}`, { target: name });
  return v;
};

/**
 * The health check of target `name`, read from the signed install manifest's raw bytes (the
 * parsed manifest drops extension fields). Undefined when the target has none; a malformed one is
 * `ERR_SERVICES_INVALID`.
 */
export function healthSpecOf(installJson: Buffer | string, name: string): HealthSpec | undefined {
  let tree: { targets?: { service_name?: unknown; health?: unknown }[] };
  try {
    tree = JSON.parse(installJson.toString());
  } catch {
    return undefined;
  }
  const h = tree.targets?.find((t) => t?.service_name === name)?.health;
  if (h === undefined || h === null) return undefined;
  if (typeof h !== 'object' || Array.isArray(h)) throw invalid(`target ${name}: health must be an object`, { target: name });
  const o = h as Record<string, unknown>;
  const hasCmd = o.command !== undefined;
  const hasTcp = o.tcp !== undefined;
  if (hasCmd === hasTcp) throw invalid(`target ${name}: health needs exactly one of "command" or "tcp"`, { target: name });
  if (hasCmd && (!Array.isArray(o.command) || o.command.length === 0 || o.command.some((a) => typeof a !== 'string' || a.includes('\0')))) {
    throw invalid(`target ${name}: health.command must be a non-empty array of strings`, { target: name });
  }
  if (hasTcp && (!Number.isInteger(o.tcp) || (o.tcp as number) < 1 || (o.tcp as number) > 65535)) {
    throw invalid(`target ${name}: health.tcp must be a port 1-65535`, { target: name });
  }
  return {
    command: hasCmd ? (o.command as string[]) : undefined,
    tcp: hasTcp ? (o.tcp as number) : undefined,
    interval: num(o.interval, 10, 'interval', name, 0.05),
    timeout: num(o.timeout, 5, 'timeout', name, 0.05),
    retries: Math.floor(num(o.retries, 3, 'retries', name, 1)),
    startPeriod: num(o.start_period, 0, 'start_period', name),
  };
}
