import { PassThrough } from 'node:stream';
import { ToolFailedError } from '@mos/atomfs';
import type { RunOptions, RunResult, Sys } from '@mos/atomfs';

/** One recorded effect: a tool run, or a mount / umount. */
export interface Call {
  tool: string;
  args: string[];
}

type Responder = (args: string[]) => Partial<RunResult> | undefined;

/**
 * A fake machine for unit tests: records every call, keeps an in-memory mount table (so
 * mountinfo reflects mount/umount), and answers tool runs from per-tool responders.
 */
export class FakeSys implements Sys {
  calls: Call[] = [];
  mounts: { fstype: string; source: string; target: string; options: string }[] = [];
  devices = new Set<string>();
  hostRoot = true;
  responders = new Map<string, Responder>();
  /** Makes the n-th (1-based) mount whose target matches fail. */
  failMount?: (m: { fstype: string; source: string; target: string }) => boolean;

  on(tool: string, r: Responder): this {
    this.responders.set(tool, r);
    return this;
  }
  async run(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ tool, args });
    const r = { code: 0, stdout: '', stderr: '', ...(this.responders.get(tool)?.(args) ?? {}) };
    if (r.code !== 0 && !opts.allowFail) throw new ToolFailedError(`${tool} failed: ${r.stderr}`, { tool, args, exitCode: r.code, stderr: r.stderr });
    return r;
  }
  runWithInput(tool: string, args: string[], opts?: RunOptions) {
    const stdin = new PassThrough();
    stdin.resume();
    const done = new Promise<RunResult>((resolve) => stdin.on('finish', resolve)).then(() => this.run(tool, args, opts));
    return { stdin, done };
  }
  runWithOutput(tool: string, args: string[], opts?: RunOptions) {
    const stdout = new PassThrough();
    stdout.end();
    return { stdout, done: this.run(tool, args, opts) };
  }
  async mount(m: { fstype: string; source: string; target: string; options: string }): Promise<void> {
    this.calls.push({ tool: 'mount', args: ['-t', m.fstype, '-o', m.options, m.source, m.target] });
    if (this.failMount?.(m)) throw new ToolFailedError(`mount failed: ${m.target}`, { tool: 'mount', stderr: 'fake failure' });
    this.mounts.push(m);
  }
  async umount(target: string): Promise<void> {
    this.calls.push({ tool: 'umount', args: [target] });
    const i = this.mounts.map((m) => m.target).lastIndexOf(target);
    if (i < 0) throw new ToolFailedError(`umount: ${target}: not mounted`, { tool: 'umount', stderr: 'not mounted' });
    this.mounts.splice(i, 1);
  }
  async mountinfo(): Promise<string> {
    return this.mounts.map((m, i) => `${100 + i} 1 0:${i} / ${m.target} rw,relatime - ${m.fstype} ${m.source} ${m.options}`).join('\n') + '\n';
  }
  isHostRoot(): boolean {
    return this.hostRoot;
  }
  exists(path: string): boolean {
    return this.devices.has(path);
  }
  /** The calls of one tool, as argv arrays. */
  argv(tool: string): string[][] {
    return this.calls.filter((c) => c.tool === tool).map((c) => c.args);
  }
}
