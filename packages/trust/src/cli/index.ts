/**
 * `@mos/trust/cli`: the small command-line kit the `trust` bin is built on, shared with the
 * mosctl and mosb bins so every mos command parses, helps and fails the same way.
 */
export { runCli, required, UsageError, type CommandSpec, type OptionSpec, type RunContext, type CliIo } from './kit';
export { main as trustMain, exitCodeOf as trustExitCodeOf, EXIT } from './main';
