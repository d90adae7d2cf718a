import { runCli, type CommandSpec } from '@mos/trust/cli';
import { exitCodeOf } from './exit-codes';
import { MOSB_COMMANDS, MOSCTL_COMMANDS } from './registry';

async function run(prog: string, commands: CommandSpec[], argv: string[]): Promise<void> {
  process.exitCode = await runCli(
    prog,
    commands,
    argv,
    { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
    exitCodeOf,
  );
}

/** Entry point of the `mosctl` bin (runs on the machine). */
export const mosctl = (argv = process.argv.slice(2)) => run('mosctl', MOSCTL_COMMANDS, argv);

/** Entry point of the `mosb` bin (runs on the build host). */
export const mosb = (argv = process.argv.slice(2)) => run('mosb', MOSB_COMMANDS, argv);
