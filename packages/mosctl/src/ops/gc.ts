import { gc as sweep, LayoutStore, type Descriptor } from '@mos/oci-store';
import { currentPending, loadInstallManifest, lockState, readCommittedState, readStaged, resolveTarget, stateHistory, statePaths, storeDir } from '@mos/manifest';
import { STATE_LOCK_WAIT_MS } from './trial';
import { MosctlError } from '../errors';

export interface GcOptions {
  root?: string;
  /** How many states before the current one keep their images (so a rollback works). Default 1. */
  keep?: number;
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
}

export interface GcResult {
  root: string;
  dryRun: boolean;
  /** The commits whose images were kept, newest first. */
  keptStates: string[];
  /** The staged update (sha256 of its install manifest) whose images were kept, if one is staged. */
  keptStaged?: string;
  /** Image manifests no kept state names, dropped from the store (digests, sorted). */
  removedImages: string[];
  /** Blobs swept (the dropped images' own, shared ones stay) and the bytes they used. */
  removedBlobs: number;
  freedBytes: number;
  /** Leftovers of killed imports removed from the store's staging directory. */
  staleUploads: number;
}

/** The image tags mos's import writes: the image manifest's own digest as its name. */
const REF_NAME = 'org.opencontainers.image.ref.name';
const isImportTag = (d: Descriptor) => d.annotations?.[REF_NAME] === d.digest;

/**
 * `mosctl gc`: removes the images (and their blobs) that none of the current state, the
 * `keep` states before it, while the current state is pending, the state an automatic
 * rollback would go to, and a staged update (`update --download-only`) names, with the state lock held exclusively (no update commits a
 * state naming an image meanwhile) and the store's exclusive lock for the sweep (no import
 * runs meanwhile). Leftovers of killed imports go too. Only entries of mos's own import form
 * (tag = digest) are candidates; anything else in the store stays.
 *
 * @example
 * import { gc } from '@mos/mosctl';
 * const r = await gc({ root: '/', keep: 1, dryRun: true });
 */
export async function gc(opts: GcOptions = {}): Promise<GcResult> {
  const root = opts.root ?? '/';
  const keep = opts.keep ?? 1;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--keep ${opts.keep} must be a whole number of states (0 keeps only the current one)`);
  const lock = await lockState({ root, mode: 'exclusive', waitMs: STATE_LOCK_WAIT_MS });
  try {
    const { configDir } = statePaths(root);
    const states = (await stateHistory({ configDir, depth: keep + 1 })).map((h) => h.commit);
    // A state on trial may still be rolled back from: the state before it keeps its images.
    const pending = await currentPending(root);
    if (pending && !states.includes(pending.previous)) states.push(pending.previous);
    const live = new Set<string>();
    for (const commit of states) {
      const state = await readCommittedState({ configDir, commit });
      const installs = new Map([...state.installs].map(([sha, s]) => [sha, loadInstallManifest(s.json, `${sha}.json of commit ${commit.slice(0, 12)}`).manifest]));
      for (const t of state.system.targets) live.add(resolveTarget(t, installs).digest);
    }
    // A staged update is applied from the store later: its images stay too.
    const staged = await readStaged(root);
    let keptStaged: string | undefined;
    if (staged && !staged.applied) {
      try {
        for (const t of loadInstallManifest(staged.signed.json, 'the staged install manifest').manifest.targets) live.add(t.digest);
        keptStaged = staged.signed.sha256;
      } catch {
        // Not a manifest (a damaged record): --apply refuses it, there is nothing to keep for it.
      }
    }
    const store = await LayoutStore.open(storeDir(root));
    const r = await sweep(store, { dryRun: opts.dryRun, keepRoot: (d) => !isImportTag(d) || live.has(d.digest) });
    return {
      root,
      dryRun: r.dryRun,
      keptStates: states,
      ...(keptStaged && { keptStaged }),
      removedImages: r.droppedRoots.map((d) => d.digest).sort(),
      removedBlobs: r.removed.length,
      freedBytes: r.freedBytes,
      staleUploads: r.staleUploads,
    };
  } finally {
    await lock.release();
  }
}
