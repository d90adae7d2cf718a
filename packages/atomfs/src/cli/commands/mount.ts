import type * as MountImage from '../../oci/mount-image';
import type { BackendName } from '../../mount/types';
import { listMolecules } from '../../mount/list';
import { umountMolecule } from '../../mount/umount';
import { verifyMounted } from '../../mount/verify-mounted';
import { str, UsageError, type CommandSpec } from '../kit';

const scratch = { type: 'string', arg: 'DIR', help: 'scratch dir for layer mounts, records and upper dirs (default /run/atomfs)' } as const;
const BACKENDS = ['dm-verity', 'verified-loop', 'squashfuse', 'extract'];

export const mountCommands: CommandSpec[] = [
  {
    words: ['mount'],
    summary: 'mount an image (oci:DIR:TAG or oci:DIR@sha256:HEX) at DEST as a verified overlay root',
    args: '[--writable] [--keep] [--scratch DIR] [--backend NAME] [--insecure] oci:DIR:TAG DEST',
    positionals: [2, 2],
    options: {
      writable: { type: 'boolean', help: 'add a writable upper dir under scratch' },
      keep: { type: 'boolean', help: 'keep the upper dir on umount' },
      scratch,
      backend: { type: 'string', arg: 'NAME', help: `force a backend: ${BACKENDS.join(', ')}` },
      insecure: { type: 'boolean', help: 'allow layers without a root hash (mounted UNVERIFIED)' },
    },
    async run({ values, positionals }) {
      const backend = str(values, 'backend');
      if (backend !== undefined && !BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
      const { mountImage } = require('../../oci/mount-image') as typeof MountImage; // lazy: loads @mos/oci-store
      const m = await mountImage({
        image: positionals[0],
        dest: positionals[1],
        writable: !!values.writable,
        keep: !!values.keep,
        scratch: str(values, 'scratch'),
        backend: backend as BackendName | undefined,
        insecure: !!values.insecure,
      });
      const lines = [`mounted ${positionals[0]} at ${m.dest} (${m.writable ? `writable, upper ${m.upper}` : 'read-only'})`];
      for (const l of m.layerRecords) lines.push(`  ${l.id.slice(0, 16)}  ${l.backend.padEnd(13)} ${l.status}`);
      const { layerRecords, ...rec } = m;
      return { text: lines.join('\n'), json: { ...rec, layers: layerRecords } };
    },
  },
  {
    words: ['umount'],
    summary: 'unmount a molecule and the layer mounts nobody else uses',
    args: '[--keep] [--scratch DIR] DEST',
    positionals: [1, 1],
    options: { keep: { type: 'boolean', help: 'keep the upper dir' }, scratch },
    async run({ values, positionals }) {
      const r = await umountMolecule(positionals[0], { keep: !!values.keep, scratch: str(values, 'scratch') });
      const text = `unmounted ${r.dest}; released ${r.released.length} layer mount(s)${r.keptUpper ? `; kept ${r.keptUpper}` : ''}`;
      return { text, json: r };
    },
  },
  {
    words: ['verify'],
    summary: 're-check every layer of a mounted molecule (dm status, or a re-hash); exit 3 if any fails',
    args: '[--scratch DIR] DEST',
    positionals: [1, 1],
    options: { scratch },
    async run({ values, positionals }) {
      const r = await verifyMounted(positionals[0], { scratch: str(values, 'scratch') });
      const lines = [`${r.dest}: ${r.ok ? 'OK' : 'FAILED'}${r.overlayMounted ? '' : ' (overlay not mounted)'}`];
      for (const l of r.layers) lines.push(`  ${l.id.slice(0, 16)}  ${l.ok ? 'ok  ' : 'BAD '} ${l.backend.padEnd(13)} ${l.detail}`);
      return { text: lines.join('\n'), json: r, exitCode: r.ok ? 0 : 3 };
    },
  },
  {
    words: ['ls'],
    summary: 'list the molecules recorded under the scratch dir',
    args: '[--scratch DIR]',
    positionals: [0, 0],
    options: { scratch },
    async run({ values }) {
      const ms = await listMolecules({ scratch: str(values, 'scratch') });
      const lines = ms.map((m) => `${m.dest}  ${m.mounted ? 'mounted' : 'NOT MOUNTED'}  ${m.writable ? 'rw' : 'ro'}  ${m.layers.length} layer(s)  ${m.source?.image ?? ''}`.trimEnd());
      return { text: lines.join('\n'), json: ms };
    },
  },
];
