import type * as BuildImage from '../../oci/build-image';
import { int, list, required, str, type CommandSpec } from '../kit';

export const buildCommands: CommandSpec[] = [
  {
    words: ['build'],
    summary: 'build an OCI image of squashfs+verity layers, one per SRC (directory or tar), and tag it',
    args: '--layout DIR --tag TAG [--entrypoint ARG]… [--cmd ARG]… [--env K=V]… [--workdir DIR] SRC…',
    positionals: [1, Infinity],
    options: {
      layout: { type: 'string', arg: 'DIR', help: 'OCI layout to write (created if missing)' },
      tag: { type: 'string', arg: 'TAG', help: 'tag for the image' },
      entrypoint: { type: 'string', multiple: true, arg: 'ARG', help: 'one entrypoint argv element' },
      cmd: { type: 'string', multiple: true, arg: 'ARG', help: 'one cmd argv element' },
      env: { type: 'string', multiple: true, arg: 'K=V', help: 'an environment variable' },
      workdir: { type: 'string', arg: 'DIR', help: 'working directory' },
      time: { type: 'string', arg: 'SECONDS', help: 'timestamp of every file (default 0: reproducible layers)' },
    },
    async run({ values, positionals }) {
      // Lazy: only build and mount load @mos/oci-store.
      const { buildImage } = require('../../oci/build-image') as typeof BuildImage;
      const r = await buildImage({
        layout: required(values, 'layout'),
        tag: required(values, 'tag'),
        sources: positionals,
        entrypoint: list(values, 'entrypoint'),
        cmd: list(values, 'cmd'),
        env: list(values, 'env'),
        workingDir: str(values, 'workdir'),
        time: int(values, 'time'),
      });
      const lines = r.layers.map((l, i) => `layer ${i}: ${l.digest} root hash ${l.rootHash} (${positionals[i]})`);
      lines.push(`manifest ${r.manifest.digest} tagged ${str(values, 'tag')}`);
      return { text: lines.join('\n'), json: r };
    },
  },
];
