import { readJsonFile, writeJsonFile } from '../lib/json-file';
import { emptyTable, type Lease, type NetworkTable } from './leases';

/**
 * The address and port table of a root, persisted in `R/var/lib/mos/network.json` so every
 * process and every boot sees the same leases (the original kept them in one process's memory,
 * its BUG 5). The supervisor is the only writer.
 */
export function readNetworkTable(file: string): NetworkTable {
  const t = readJsonFile<NetworkTable>(file, emptyTable);
  return t && typeof t.leases === 'object' && t.leases !== null ? t : emptyTable();
}

/** Stores `lease` for `name` (or removes it with `undefined`); durable. */
export async function storeLease(file: string, name: string, lease: Lease | undefined): Promise<void> {
  const t = readNetworkTable(file);
  if (lease) t.leases[name] = lease;
  else delete t.leases[name];
  await writeJsonFile(file, t, true);
}

/** Keeps only the leases `keep` says yes to; returns the names dropped. */
export async function pruneLeases(file: string, keep: (name: string, lease: Lease) => boolean): Promise<string[]> {
  const t = readNetworkTable(file);
  const dropped = Object.entries(t.leases).filter(([n, l]) => !keep(n, l)).map(([n]) => n);
  if (dropped.length === 0) return [];
  for (const n of dropped) delete t.leases[n];
  await writeJsonFile(file, t, true);
  return dropped;
}
