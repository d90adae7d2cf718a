import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { DISTRO_BUILDERS, installDistroHooks, type DistroBuilder } from '@mos/bringup';
import { jsonOption } from '../cli/options';

export const initrdHooksCommand: CommandSpec = {
  words: ['initrd', 'hooks'],
  summary: "install mos's hook into a distro initramfs builder (bringup, node, dmsetup, the manifest CA)",
  args: `--builder ${DISTRO_BUILDERS.join('|')} --ca CA.pem [--root DIR] [--bundle FILE] [--json]`,
  positionals: [0, 0],
  options: {
    builder: { type: 'string', arg: 'B', help: `the initramfs builder to extend (${DISTRO_BUILDERS.join(', ')})` },
    ca: { type: 'string', arg: 'F', help: 'manifest CA (PEM) the initramfs will trust, installed as /etc/mos/manifestCA.pem' },
    root: { type: 'string', arg: 'DIR', help: 'the system to install into (default /)' },
    bundle: { type: 'string', arg: 'FILE', help: 'bringup bundle (default: dist/bringup.js of @mos/bringup)' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const r = await installDistroHooks({
      builder: required(values, 'builder') as DistroBuilder,
      ca: required(values, 'ca'),
      root: values.root as string | undefined,
      bundle: values.bundle as string | undefined,
    });
    if (values.json) return out(JSON.stringify(r) + '\n');
    out(`installed mos for ${r.builder} into ${r.root}:\n${r.files.map((f) => `  ${f}\n`).join('')}`);
    out(
      r.builder === 'dracut'
        ? `next: rebuild the initramfs with the module (dracut --add mos --force) and boot with "root=soci:name=mosboot"\n`
        : `next: rebuild the initramfs (update-initramfs -u) and boot with "boot=mos root=soci:name=mosboot"\n`,
    );
  },
};
