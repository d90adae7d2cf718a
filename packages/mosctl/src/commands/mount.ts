import type { CommandSpec } from '@mos/trust/cli';
import { mount, umount } from '../ops/mount';
import { caOf, caOptions, jsonOption, registryOf, registryOptions, rootOf, rootOptions } from '../cli/options';

export const mountCommand: CommandSpec = {
  words: ['mount'],
  summary: 'mount an installed target (default hostfs), or with URL a target (default livecd) of a remote signed manifest',
  args: '[--target T] [--readonly] [--dest D] [--rfs R] [URL]',
  positionals: [0, 1],
  options: {
    target: { type: 'string', short: 't', arg: 'T', help: 'target name (default hostfs; livecd with a URL)' },
    readonly: { type: 'boolean', help: 'mount read-only (default: writable, upper dir in R/scratch-writes)' },
    ro: { type: 'boolean', help: 'same as --readonly' },
    dest: { type: 'string', arg: 'D', help: 'mountpoint (default R/mnt/mos/<target>)' },
    ...rootOptions,
    ...caOptions,
    ...registryOptions,
    ...jsonOption,
  },
  async run({ values, positionals: [url], out }) {
    const r = await mount({
      root: rootOf(values),
      target: values.target as string | undefined,
      dest: values.dest as string | undefined,
      readonly: values.readonly === true || values.ro === true,
      url,
      manifestCa: caOf(values),
      ...registryOf(values),
    });
    out(values.json ? JSON.stringify(r) + '\n' : `mounted ${r.target} (${r.digest.slice(0, 19)}…) at ${r.dest}, ${r.writable ? 'writable' : 'read-only'}\n`);
  },
};

export const umountCommand: CommandSpec = {
  words: ['umount'],
  summary: 'unmount a root mounted by mount or create-boot-fs (and the layer mounts nothing else uses)',
  args: 'DEST',
  positionals: [1, 1],
  async run({ positionals: [dest], out }) {
    await umount(dest);
    out(`unmounted ${dest}\n`);
  },
};
