import { parseArgs } from 'node:util';

/** One option of a command, as `util.parseArgs` takes it, plus a line of help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  help: string;
  arg?: string;
}

/** One command: its words (`['verity', 'format']`), help, arguments and what it runs. */
export interface CommandSpec {
  words: string[];
  summary: string;
  args: string;
  positionals: [min: number, max: number];
  options?: Record<string, OptionSpec>;
  /** Returns what to print: text lines, and the value `--json` prints. */
  run(ctx: RunContext): Promise<CommandOutput>;
}

export interface CommandOutput {
  text: string;
  json: unknown;
  /** Exit status for a command that completed but found a problem (verify). Default 0. */
  exitCode?: number;
}

export interface RunContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** A usage mistake: exit status 2 and the command's usage line. */
export class UsageError extends Error {}

const JSON_OPT: OptionSpec = { type: 'boolean', help: 'print machine-readable JSON' };

/**
 * Runs `argv` against `commands`: the longest matching word sequence picks the command,
 * options are parsed strictly (unknown flags are errors), `--help` works at every level.
 * Errors become one line on stderr (JSON with `--json`); statuses come from `exitCodeOf`.
 */
export async function runCli(prog: string, commands: CommandSpec[], argv: string[], io: CliIo, exitCodeOf: (e: unknown) => number): Promise<number> {
  const cmd = commands.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length)[0];
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!cmd) {
    const prefix: string[] = [];
    while (commands.some((c) => c.words.length > prefix.length && c.words[prefix.length] === argv[prefix.length] && prefix.every((w, i) => c.words[i] === w))) {
      prefix.push(argv[prefix.length]);
    }
    if (wantsHelp || argv.length === 0) {
      io.stdout(overview(prog, commands, prefix));
      return 0;
    }
    if (argv.length === prefix.length) {
      io.stderr(`${prog} ${prefix.join(' ')}: missing subcommand; see ${prog} ${prefix.join(' ')} --help\n`);
      return 2;
    }
    io.stderr(`${prog}: unknown command "${argv.slice(0, prefix.length + 1).join(' ')}"; see ${prog} ${prefix.length ? prefix.join(' ') + ' ' : ''}--help\n`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(prog, cmd));
    return 0;
  }
  const json = argv.includes('--json');
  try {
    const parsed = parseArgs({ args: argv.slice(cmd.words.length), options: { ...(cmd.options ?? {}), json: JSON_OPT }, allowPositionals: true, strict: true });
    const [min, max] = cmd.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) throw new UsageError(`expected ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} argument(s), got ${n}`);
    const out = await cmd.run({ values: parsed.values as RunContext['values'], positionals: parsed.positionals });
    io.stdout(json ? JSON.stringify(out.json) + '\n' : out.text.endsWith('\n') || out.text === '' ? out.text : out.text + '\n');
    return out.exitCode ?? 0;
  } catch (e) {
    const usage = e instanceof UsageError || String((e as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS');
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    const where = `${prog} ${cmd.words.join(' ')}`;
    if (json && !usage) {
      const body = typeof (e as { toJSON?: unknown }).toJSON === 'function' ? (e as { toJSON(): unknown }).toJSON() : { message: msg };
      io.stderr(JSON.stringify({ error: body }) + '\n');
    } else io.stderr(`${where}: ${msg}\n`);
    if (usage) {
      io.stderr(`usage: ${where} ${cmd.args}\n`);
      return 2;
    }
    return exitCodeOf(e);
  }
}

function overview(prog: string, commands: CommandSpec[], prefix: string[]): string {
  const shown = commands.filter((c) => prefix.every((w, i) => c.words[i] === w));
  const width = Math.max(...shown.map((c) => c.words.join(' ').length));
  const lines = shown.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `usage: ${prog} ${prefix.length ? prefix.join(' ') + ' ' : ''}<command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "${prog} <command> --help" for a command's options.\n`;
}

function commandHelp(prog: string, cmd: CommandSpec): string {
  const all = { ...(cmd.options ?? {}), json: JSON_OPT };
  const opts = Object.entries(all).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}${o.multiple ? ' (repeatable)' : ''}`;
  });
  opts.push(`  ${'-h, --help'.padEnd(26)} show this help`);
  return `usage: ${prog} ${cmd.words.join(' ')} ${cmd.args}\n\n${cmd.summary}\n\noptions:\n${opts.join('\n')}\n`;
}

/** A string option, or undefined. */
export function str(values: RunContext['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A string option that must be present. */
export function required(values: RunContext['values'], name: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** A non-negative integer option. */
export function int(values: RunContext['values'], name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(v);
}

/** A repeatable string option as a list. */
export function list(values: RunContext['values'], name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
