import { runSupervisor, stopServices } from '@mos/services';
import type { CommandSpec } from '@mos/trust/cli';
import { rootOf, rootOptions } from '../cli/options';

/** How boot and activate start the supervisor when none runs: this same mosctl, `supervise`. */
export function supervisorCommand(root: string): string[] {
  // execArgv keeps loaders (e.g. tsx) when mosctl itself runs from source.
  return [process.execPath, ...process.execArgv, process.argv[1], 'supervise', '--rfs', root];
}

export const superviseCommand: CommandSpec = {
  words: ['supervise'],
  summary: 'run the service supervisor of a root in the foreground (boot starts it); --stop stops every service and it',
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
    await h.done;
    out(`supervisor ${process.pid} stopped\n`);
  },
};
