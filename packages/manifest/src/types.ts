/**
 * The three manifests of mos, with the original's field names (they are wire formats other
 * tools read). Parsed values are normalised: Go's `null` slices become `[]`, missing strings `""`.
 */

export const SERVICE_TYPES = ['hostfs', 'container', 'fs-only'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const NETWORK_TYPES = ['host', 'none', 'simple'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

export const UPDATE_TYPES = ['complete', 'partial'] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];

/** Storage labels that name mos's own partitions and may not be used by services. */
export const RESERVED_STORAGE_LABELS = ['esp', 'machine-config', 'machine-store', 'machine-scratch'] as const;

export interface Port {
  host: number;
  container: number;
}

export interface Network {
  type: NetworkType;
  ipv4: string;
  ipv6: string;
  ports: Port[];
}

/** A storage volume declared by a manifest (`size` in MiB). */
export interface StorageItem {
  label: string;
  persistent: boolean;
  nsgroup: string;
  size: number;
}

/** A volume bind-mounted into a target at `dest`. */
export interface TargetStorage {
  dest: string;
  label: string;
}

/** A target of a signed install manifest (`install.json`), pinned by image manifest digest and size. */
export interface Target {
  service_name: string;
  version: string;
  service_type: ServiceType;
  network: Network;
  nsgroup: string;
  digest: string;
  storage: TargetStorage[];
  size: number;
  /**
   * mos extension: the target's health check (`{"command": [...]}` or `{"tcp": PORT}`, see
   * `@mos/services` `healthSpecOf`), carried from manifest.yaml into the signed install.json
   * (after `size`; the original's decoder ignores it). Parsing an install manifest does not
   * read it back: services read it from the signed bytes.
   */
  health?: Record<string, unknown>;
}

/** `install.json`, version 1. */
export interface InstallManifest {
  version: number;
  product: string;
  storage: StorageItem[];
  targets: Target[];
  update_type: UpdateType;
  /**
   * Signed, monotonic release number (mos; the original ignores it). An update must carry a
   * greater one than the newest the machine applied, so an older signed manifest cannot be
   * replayed. Absent reads as 0.
   */
  serial?: number;
  /** Signed RFC 3339 time after which the manifest is refused (install, update and boot). */
  expires?: string;
}

/** A target of an import manifest (`manifest.yaml`): where to get the image, digest/size optional. */
export interface ImportTarget extends Omit<Target, 'digest' | 'size'> {
  source: string;
  digest: string;
  size: number;
}

/** `manifest.yaml`, what a release engineer writes and `mosb manifest publish` reads. */
export interface ImportManifest {
  version: number;
  product: string;
  update_type: UpdateType | '';
  storage: StorageItem[];
  targets: ImportTarget[];
}

/** An nsgroup's host uid range: container ids 0..size-1 map to hostid..hostid+size-1. */
export interface UidMap {
  'idmap-name': string;
  hostid: number;
}

/** A target of the system: its name and the install manifest file (`<sha>.json`) defining it. */
export interface SysTarget {
  name: string;
  source: string;
}

/** `manifest.json` in manifest.git: the installed system. */
export interface SystemManifest {
  uidmaps: UidMap[];
  targets: SysTarget[];
  storage: StorageItem[];
  /** The greatest install-manifest serial this machine has applied (absent: 0). Never goes down, also across rollbacks. */
  newest_serial?: number;
}
