// Printing helpers for the demo: every command is shown as it runs, with its output indented.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const TOP = resolve(__dirname, '..', '..', '..');
const BINS: Record<string, string> = {
  trust: 'packages/trust/bin/trust.js',
  mosctl: 'packages/mosctl/bin/mosctl.js',
  mosb: 'packages/mosctl/bin/mosb.js',
  atomfs: 'packages/atomfs/bin/atomfs.js',
};

export class Shell {
  constructor(
    private readonly work: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  step(title: string): void {
    console.log(`\n==> ${title}`);
  }

  say(text: string): void {
    console.log(`  ${text.replaceAll(this.work, '$DEMO')}`);
  }

  /** Runs a command, prints it and its output; `expectFail` inverts the success check, `'either'` accepts both. */
  run(cmd: string, args: string[], expectFail: boolean | 'either' = false): string {
    const shown = [cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
    console.log(`$ ${shown.replaceAll(this.work, '$DEMO')}`);
    const bin = BINS[cmd];
    const r = bin ? spawnSync(process.execPath, [join(TOP, bin), ...args], { env: this.env, encoding: 'utf8' }) : spawnSync(cmd, args, { env: this.env, encoding: 'utf8' });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replaceAll(this.work, '$DEMO').trimEnd();
    if (out) console.log(out.split('\n').map((l) => `  ${l}`).join('\n'));
    if (expectFail === 'either') return r.stdout;
    if (expectFail !== (r.status !== 0)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}, expected ${expectFail ? 'a failure' : 'success'}`);
    if (expectFail) console.log(`  (rejected, exit ${r.status}, as it must be)`);
    return r.stdout;
  }

  /** Runs a mos bin without printing it; returns stdout (throws on failure). */
  quiet(cmd: string, args: string[]): string {
    const r = spawnSync(process.execPath, [join(TOP, BINS[cmd]), ...args], { env: this.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Starts a long-running bin (the registry); resolves with it and its first stdout line. */
  start(cmd: string, args: string[]): Promise<{ child: ChildProcess; line: string }> {
    console.log(`$ ${[cmd, ...args].join(' ').replaceAll(this.work, '$DEMO')} &`);
    const child = spawn(process.execPath, [join(TOP, BINS[cmd]), ...args], { env: this.env, stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolvePromise, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolvePromise({ child, line: d.toString().trim() }));
      child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
    });
  }
}
