import type { CommandSpec } from '@mos/trust/cli';
import { createBootFs } from '@mos/bringup';
import { caOf, caOptions, jsonOption, rootOf, rootOptions } from '../cli/options';

export const createBootFsCommand: CommandSpec = {
  words: ['create-boot-fs'],
  summary: 're-verify the installed state and mount hostfs as the new root (what the initrd runs)',
  args: '[--readonly] [--rfs R] [--dest D]',
  positionals: [0, 0],
  options: {
    readonly: { type: 'boolean', help: 'mount read-only (default writable)' },
    ro: { type: 'boolean', help: 'same as --readonly' },
    dest: { type: 'string', arg: 'D', help: 'mountpoint (default /sysroot)' },
    ...rootOptions,
    ...caOptions,
    ...jsonOption,
  },
  async run({ values, out }) {
    const { state, mounted } = await createBootFs({ root: rootOf(values), dest: values.dest as string | undefined, readonly: values.readonly === true || values.ro === true, ca: caOf(values) });
    const hostfs = state.targets.find((t) => t.name === 'hostfs')!;
    if (values.json) return out(JSON.stringify({ dest: mounted.dest, commit: state.commit, product: state.product, digest: hostfs.target.digest, writable: mounted.writable, layers: mounted.layers.map((l) => ({ id: l.id, backend: l.backend, protection: l.protection })) }) + '\n');
    out(`hostfs ${hostfs.target.version} mounted at ${mounted.dest} (${mounted.writable ? 'writable' : 'read-only'}); state ${state.commit.slice(0, 12)} verified\n`);
  },
};
