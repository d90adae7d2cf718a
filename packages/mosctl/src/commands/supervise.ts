import { runSupervisor, stopServices } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { rootOf, rootOptions } from '../cli/options';
import { watchTrial } from '../ops/watch-trial';

/** How boot and activate start the supervisor when none runs: this same mosctl, `supervise`. */
export function supervisorCommand(root: string): string[] {
  // execArgv keeps loaders (e.g. tsx) when mosctl itself runs from source.
  return [process.execPath, ...process.execArgv, process.argv[1], 'supervise', '--rfs', root];
}

export const superviseCommand: CommandSpec = {
  words: ['supervise'],
  summary: 'run the service supervisor of a root in the foreground (boot starts it), which also confirms or rolls back a pending state; --stop stops every service and it',
  args: '[--rfs R] [--stop]',
  positionals: [0, 0],
  options: { ...rootOptions, stop: { type: 'boolean', help: 'ask the running supervisor to stop every service cleanly and exit' } },
  async run({ values, out }) {
    const root = rootOf(values);
    if (values.stop) {
      out((await stopServices({ root })) ? 'stopped every service and the supervisor\n' : 'no supervisor was running\n');
      return;
    }
    const h = await runSupervisor({ root, handleSignals: true });
    out(`supervisor ${process.pid} serving ${root}\n`);
    // The same process watches a pending state: confirm it once healthy, or roll back.
    const watch = watchTrial({ root, supervisorCommand: supervisorCommand(root), log: (line) => out(`${new Date().toISOString()} ${line}\n`) });
    await h.done;
    await watch.stop();
    out(`supervisor ${process.pid} stopped\n`);
  },
};
