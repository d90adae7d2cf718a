/** Platform of an index entry (image-spec `platform`). */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

/**
 * A content descriptor: the (mediaType, digest, size) triple every read and write is checked
 * against, plus optional fields. Import from `@mos/oci-store`.
 */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the content (must match digest and size when present). */
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** An OCI image manifest (also used for artifacts: `artifactType`, `subject`). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index (also the shape of `index.json` and of a referrers response). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The parts of an image config mos reads. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    Entrypoint?: string[];
    Cmd?: string[];
    Env?: string[];
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: unknown[];
  created?: string;
}
