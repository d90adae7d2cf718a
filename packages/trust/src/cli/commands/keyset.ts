import { addKeyset, listKeysets } from '../../keyset/keyset';
import { showKeyset } from '../../keyset/show';
import type { CommandSpec } from '../kit';
import { UsageError } from '../kit';

const dirOpt = { 'keysets-dir': { type: 'string', arg: 'DIR', help: 'keysets directory (default $MOS_KEYSETS_DIR or ~/.local/share/machine/trust/keys)' } } as const;
const dir = (v: Record<string, unknown>) => v['keysets-dir'] as string | undefined;

export const keysetCommands: CommandSpec[] = [
  {
    words: ['keyset', 'add'],
    summary: 'create a keyset: manifest/SUDI CAs, UEFI and UKI keys, TPM policy keys and the project "default"',
    args: '[--org ORG]... NAME',
    positionals: [1, 1],
    options: { ...dirOpt, org: { type: 'string', multiple: true, arg: 'ORG', help: 'organization (O) in the certificate subjects' } },
    async run({ values, positionals, out }) {
      const path = await addKeyset({ name: positionals[0], orgs: values.org as string[] | undefined, dir: dir(values) });
      out(`created keyset ${positionals[0]} in ${path}\n`);
    },
  },
  {
    words: ['keyset', 'list'],
    summary: 'list keysets, one per line',
    args: '',
    positionals: [0, 0],
    options: dirOpt,
    async run({ values, out }) {
      for (const k of await listKeysets({ dir: dir(values) })) out(`${k}\n`);
    },
  },
  {
    words: ['keyset', 'show'],
    summary: 'show a keyset, one of its keys (e.g. manifest-ca, manifest:default) or one item (e.g. cert.pem)',
    args: '[--path | --value] KEYSET [KEY [ITEM]]',
    positionals: [1, 3],
    options: {
      ...dirOpt,
      path: { type: 'boolean', help: 'print paths instead of contents' },
      value: { type: 'boolean', help: "print only an item's value" },
    },
    async run({ values, positionals, out }) {
      if (values.path && values.value) throw new UsageError('--path and --value exclude each other');
      const [keyset, key, item] = positionals;
      out(await showKeyset({ dir: dir(values), keyset, key, item, mode: values.path ? 'path' : values.value ? 'value' : 'list' }));
    },
  },
];

export { dirOpt, dir };
