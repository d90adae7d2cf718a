import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * The machine effects of @mos/manifest other than writes under the root: spawning the lock
 * holder and reading /proc. Unit tests pass a fake; everything else uses {@link realSys}.
 */
export interface Sys {
  spawn(cmd: string, args: string[]): ChildProcess;
  readProc(path: string): Promise<string>;
}

export const realSys: Sys = {
  spawn: (cmd, args) => spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] }),
  readProc: (path) => readFile(path, 'utf8'),
};
