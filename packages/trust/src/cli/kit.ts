import { parseArgs } from 'node:util';

/** One option of a command, as `util.parseArgs` takes it plus a line of help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  help: string;
  arg?: string;
}

/** One command: its words (`['keyset', 'add']`), help, arguments and the function it runs. */
export interface CommandSpec {
  words: string[];
  summary: string;
  args: string;
  positionals: [min: number, max: number];
  options?: Record<string, OptionSpec>;
  /** Returns nothing (exit 0) or an exit status, for a command that reports a condition in its output. */
  run(ctx: RunContext): Promise<void | number>;
}

export interface RunContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  out: (s: string) => void;
}

/** A usage mistake: exit status 2 and the command's usage line. */
export class UsageError extends Error {}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * Runs `argv` against `commands`: the longest matching word sequence picks the command,
 * options are parsed strictly (unknown flags are errors), `--help` works at every level.
 * Returns the exit status; errors become one line on stderr, their status from `exitCodeOf`.
 */
export async function runCli(
  prog: string,
  commands: CommandSpec[],
  argv: string[],
  io: CliIo,
  exitCodeOf: (e: unknown) => number,
): Promise<number> {
  // Command words come first (`trust keyset add --org O name`), as in git or skopeo.
  const cmd = commands
    .filter((c) => c.words.every((w, i) => argv[i] === w))
    .sort((a, b) => b.words.length - a.words.length)[0];
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!cmd) {
    const prefix: string[] = [];
    while (commands.some((c) => c.words[prefix.length] === argv[prefix.length] && prefix.every((w, i) => c.words[i] === w))) {
      prefix.push(argv[prefix.length]);
    }
    if (wantsHelp || argv.length === 0) {
      io.stdout(overview(prog, commands, prefix));
      return 0;
    }
    io.stderr(`${prog}: unknown command "${argv.filter((a) => !a.startsWith('-')).join(' ')}"; see ${prog} ${prefix.length ? prefix.join(' ') + ' ' : ''}--help\n`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(prog, cmd));
    return 0;
  }
  const rest = argv.slice(cmd.words.length);
  try {
    const parsed = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: true, strict: true });
    const [min, max] = cmd.positionals;
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}`);
    }
    const status = await cmd.run({ values: parsed.values as RunContext['values'], positionals: parsed.positionals, out: io.stdout });
    return typeof status === 'number' ? status : 0;
  } catch (e) {
    const parseError = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ?? false;
    let msg = String((e as Error).message ?? e).split('\n')[0];
    // node's hint about '--' is noise on a one-line error; the usage says what is accepted.
    if (parseError) msg = msg.replace(/\. To specify a positional argument.*$/, '');
    if (e instanceof UsageError || parseError) {
      // One line, like every other failure: the reason, then the usage.
      io.stderr(`${prog} ${cmd.words.join(' ')}: ${msg} (usage: ${prog} ${cmd.words.join(' ')} ${cmd.args})\n`);
      return 2;
    }
    io.stderr(`${prog} ${cmd.words.join(' ')}: ${msg}\n`);
    return exitCodeOf(e);
  }
}

function overview(prog: string, commands: CommandSpec[], prefix: string[]): string {
  const shown = commands.filter((c) => prefix.every((w, i) => c.words[i] === w));
  if (shown.length === 0) return `usage: ${prog} <command> [options]\n\nno commands yet\n`;
  const width = Math.max(...shown.map((c) => c.words.join(' ').length));
  const lines = shown.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `usage: ${prog} ${prefix.length ? prefix.join(' ') + ' ' : ''}<command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "${prog} <command> --help" for a command's options.\n`;
}

function commandHelp(prog: string, cmd: CommandSpec): string {
  const opts = Object.entries(cmd.options ?? {}).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${o.help}${o.multiple ? ' (repeatable)' : ''}`;
  });
  opts.push(`  ${'-h, --help'.padEnd(28)} show this help`);
  return `usage: ${prog} ${cmd.words.join(' ')} ${cmd.args}\n\n${cmd.summary}\n\noptions:\n${opts.join('\n')}\n`;
}

/** A string option that must be present. */
export function required(values: RunContext['values'], name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
