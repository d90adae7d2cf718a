import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { buildInitramfs, DEFAULT_INITRD_MODULES } from '@mos/bringup';
import { compressOf, jsonOption, kernelOptions } from '../cli/options';

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export const initrdBuildCommand: CommandSpec = {
  words: ['initrd', 'build'],
  summary: 'build the reproducible mos initramfs (busybox, node, dmsetup, modules, bringup, manifest CA)',
  args: '--ca CA.pem --kernel DIR [--kver KVER] [--out FILE] [--compress zstd|gzip|lz4|none] [--bundle FILE] [--modules a,b,c] [--json]',
  positionals: [0, 0],
  options: {
    ca: { type: 'string', arg: 'F', help: 'manifest CA (PEM) to ship as /manifestCA.pem: the only CA the boot trusts' },
    ...kernelOptions,
    out: { type: 'string', arg: 'FILE', help: 'output file (default ./initrd.img); replaced atomically' },
    bundle: { type: 'string', arg: 'FILE', help: 'bringup bundle (default: dist/bringup.js of @mos/bringup)' },
    modules: { type: 'string', arg: 'a,b,c', help: `modules to load instead of the default list (${DEFAULT_INITRD_MODULES.length} modules); dependencies are added` },
    'extra-modules': { type: 'string', arg: 'a,b,c', help: 'modules to load in addition to the list' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const compress = compressOf(values);
    const r = await buildInitramfs({
      ca: required(values, 'ca'),
      kernelDir: required(values, 'kernel'),
      kver: values.kver as string | undefined,
      out: (values.out as string | undefined) ?? 'initrd.img',
      compress,
      bundle: values.bundle as string | undefined,
      modules: list(values.modules),
      extraModules: list(values['extra-modules']),
    });
    if (values.json) return out(JSON.stringify(r) + '\n');
    if (r.missingModules.length) process.stderr.write(`mosb: note: kernel ${r.kver} has no ${r.missingModules.join(', ')} (optional, skipped)\n`);
    for (const w of r.warnings) process.stderr.write(`mosb: warning: ${w}\n`);
    out(`wrote ${r.out}: ${r.size} bytes (${r.compress}), sha256 ${r.sha256}, ${r.modules.length} modules for ${r.kver}, ${r.files} files\n`);
  },
};
