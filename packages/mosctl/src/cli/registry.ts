import type { CommandSpec } from '@mos/trust/cli';

/**
 * The commands of each bin. Each command lives in `src/commands/<name>.ts` and is thin: parse,
 * validate, open the root, call one library function, render text or `--json`.
 */
export const MOSCTL_COMMANDS: CommandSpec[] = [];

export const MOSB_COMMANDS: CommandSpec[] = [];
