import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ForwardedError, ServicesError } from '../errors';
import { servicePaths } from '../paths';
import type { SupervisorRequest, SupervisorResponse } from './protocol';
import { tailLines } from './active';

type Op = SupervisorRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;
let nextId = 1;

/**
 * Sends one request to the supervisor of `root` and returns its result; an error the supervisor
 * reports is thrown as a {@link ForwardedError} with its original code. No supervisor:
 * `ERR_SERVICES_SUPERVISOR_UNREACHABLE`.
 */
export function request<T>(root: string, op: Op, args: Record<string, unknown> = {}): Promise<T> {
  const socket = servicePaths(root).socket;
  return new Promise<T>((resolve, reject) => {
    const id = nextId++;
    const s = connect(socket);
    let buf = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      s.destroy();
      fn();
    };
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify({ id, op, ...args }) + '\n'));
    s.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      const res = JSON.parse(buf.slice(0, i)) as SupervisorResponse;
      settle(() => (res.ok ? resolve(res.result as T) : reject(new ForwardedError(res.error))));
    });
    s.on('error', (e) =>
      settle(() => reject(new ServicesError('ERR_SERVICES_SUPERVISOR_UNREACHABLE', `no supervisor answers at ${socket} (${(e as NodeJS.ErrnoException).code ?? e.message}); run mosctl boot first`, { socket }, { cause: e }))),
    );
    s.on('close', () => settle(() => reject(new ServicesError('ERR_SERVICES_SUPERVISOR_UNREACHABLE', `the supervisor at ${socket} closed the connection without answering (did it stop?)`, { socket }))));
  });
}

/** Whether a supervisor answers for `root`. */
export async function supervisorRunning(root: string): Promise<boolean> {
  try {
    await request(root, 'ping');
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes sure a supervisor runs for `root`: when none answers, starts `command` (e.g.
 * `['/usr/bin/node', '/usr/bin/mosctl', 'supervise', '--rfs', root]`) detached, its output in
 * `R/var/log/mos/supervisor.log`, and waits until it answers. If it exits first, the error
 * carries the end of its log.
 */
export async function ensureSupervisor(root: string, command: string[]): Promise<{ started: boolean }> {
  if (await supervisorRunning(root)) return { started: false };
  const paths = servicePaths(root);
  mkdirSync(dirname(paths.supervisorLog), { recursive: true });
  const fd = openSync(paths.supervisorLog, 'a', 0o640);
  let exited: number | null = null;
  try {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', fd, fd], detached: true });
    child.on('exit', (code) => (exited = code ?? 1));
    child.on('error', () => (exited = 127));
    child.unref();
  } finally {
    closeSync(fd);
  }
  // A hang guard only: a supervisor that neither answers nor exits within a minute is broken.
  for (let waited = 0; waited < 60_000; waited += 20) {
    if (await supervisorRunning(root)) return { started: true };
    if (exited !== null) {
      // It may have lost the race to a supervisor another process started: that one will answer.
      if (await supervisorRunning(root)) return { started: false };
      const tail = tailLines(paths.supervisorLog, 5).join(' | ');
      throw new ServicesError('ERR_SERVICES_SUPERVISOR_UNREACHABLE', `the supervisor exited with status ${exited} before it answered: ${tail || 'no output'}`, { exitCode: exited });
    }
    await sleep(20);
  }
  throw new ServicesError('ERR_SERVICES_SUPERVISOR_UNREACHABLE', `the supervisor did not answer at ${paths.socket} within 60 s; see ${paths.supervisorLog}`);
}
