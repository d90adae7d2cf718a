import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { MosctlError } from '../errors';
import { publish } from '../ops/publish';
import { jsonOption, progressOption, progressSink, registryOf, registryOptions } from '../cli/options';

export const publishCommand: CommandSpec = {
  words: ['manifest', 'publish'],
  summary: 'resolve, sign and publish an install manifest and its images to a registry',
  args: '--project KEYSET:PROJECT --repo HOST:PORT --name NAME:TAG [--serial N] [--expires TIME] [--skip-bootkit] manifest.yaml',
  positionals: [1, 1],
  options: {
    project: { type: 'string', arg: 'K:P', help: 'keyset:project whose key signs' },
    product: { type: 'string', arg: 'K:P', help: 'same as --project' },
    repo: { type: 'string', arg: 'HOST:PORT', help: 'registry to publish to' },
    name: { type: 'string', arg: 'NAME:TAG', help: 'where the install manifest goes, e.g. machine/install:1.0.0' },
    serial: { type: 'string', arg: 'N', help: 'signed release number; machines only update to a greater one (default: now, in seconds since the epoch)' },
    expires: { type: 'string', arg: 'TIME', help: 'RFC 3339 time after which machines refuse this manifest (default: never)' },
    'skip-bootkit': { type: 'boolean', help: 'do not add hostfs and bootkit targets' },
    'skip-boot': { type: 'boolean', help: 'same as --skip-bootkit' },
    'keysets-dir': { type: 'string', arg: 'DIR', help: 'keysets directory (default $MOS_KEYSETS_DIR or ~/.local/share/machine/trust/keys)' },
    ...registryOptions,
    ...progressOption,
    ...jsonOption,
  },
  async run({ values, positionals: [file], out }) {
    if (!values.project && values.product) values.project = values.product;
    const r = await publish({
      project: required(values, 'project'),
      repo: required(values, 'repo'),
      name: required(values, 'name'),
      file,
      skipBootkit: values['skip-bootkit'] === true || values['skip-boot'] === true,
      serial: serialOf(values.serial),
      expires: values.expires as string | undefined,
      keysetsDir: values['keysets-dir'] as string | undefined,
      ...registryOf(values),
      onProgress: progressSink(values),
    });
    for (const w of r.warnings) process.stderr.write(`mosb: warning: ${w}\n`);
    if (values.json) return out(JSON.stringify({ reference: r.reference, artifact: r.artifact, install: r.sha256, serial: r.install.serial, ...(r.install.expires ? { expires: r.install.expires } : {}), targets: r.install.targets.map((t) => ({ name: t.service_name, digest: t.digest, size: t.size })) }) + '\n');
    out(`published ${r.reference} (${r.install.targets.length} target(s), serial ${r.install.serial}, install.json ${r.sha256.slice(0, 12)})\n`);
  },
};

/** `--serial` as a number; digits only (no sign, exponent or fraction). */
function serialOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) throw new MosctlError('ERR_MOSCTL_BAD_OPTION', `--serial ${JSON.stringify(v)} must be a whole number (digits only)`);
  return Number(v);
}
