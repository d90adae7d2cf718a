import { chmodSync, closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ServicesError, errorToJson, invalid } from '../errors';
import { createRuntime, prepareDirs, type RuntimeOptions } from '../runtime/context';
import { absoluteRoot } from '../validate';
import { MAX_SOCKET_PATH, type SupervisorRequest, type SupervisorResponse } from './protocol';
import { Supervisor, type SupervisorOptions } from './supervisor';

/** A running supervisor: stop it, or wait until it has stopped. */
export interface SupervisorHandle {
  supervisor: Supervisor;
  /** Stops every service and the server; resolves when done. */
  stop(): Promise<void>;
  /** Resolves when the supervisor has stopped (on request, signal, or `stop`). */
  done: Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// One supervisor per root: the pid file is created exclusively; a stale one (dead pid) is replaced.
function takePidFile(file: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new ServicesError('ERR_SERVICES_SUPERVISOR_BUSY', `a supervisor is already running for this root (pid ${pid})`, { pid });
      }
      rmSync(file, { force: true });
    }
  }
  throw new ServicesError('ERR_SERVICES_SUPERVISOR_BUSY', `could not take ${file}: another supervisor keeps starting`);
}

/**
 * Runs the supervisor of `root` in this process (what `mosctl supervise` does): takes
 * `R/run/mos/supervisor.pid`, cleans up after a predecessor that crashed, serves the control
 * socket, and on SIGTERM/SIGINT or a `shutdown` request stops every service cleanly and exits
 * the loop (`done` resolves).
 *
 * @example
 * import { runSupervisor } from '@mos/services';
 * const h = await runSupervisor({ root: '/' });
 * await h.done;
 */
export async function runSupervisor(opts: { root: string; handleSignals?: boolean } & RuntimeOptions & SupervisorOptions): Promise<SupervisorHandle> {
  const ctx = createRuntime(absoluteRoot(opts.root), opts);
  if (Buffer.byteLength(ctx.paths.socket) > MAX_SOCKET_PATH) throw invalid(`the control socket path ${ctx.paths.socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter root`);
  await prepareDirs(ctx);
  takePidFile(ctx.paths.pidFile);
  const supervisor = new Supervisor(ctx, opts);
  let server: Server | undefined;
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  let stopping: Promise<void> | undefined;
  const onSignal = () => void stop();
  const stop = () =>
    (stopping ??= (async () => {
      server?.close();
      await supervisor.shutdown().catch(() => undefined);
      rmSync(ctx.paths.socket, { force: true });
      rmSync(ctx.paths.statusFile, { force: true });
      rmSync(ctx.paths.pidFile, { force: true });
      if (opts.handleSignals) for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(s, onSignal);
      finished();
    })());
  try {
    await supervisor.recover();
    rmSync(ctx.paths.socket, { force: true });
    server = createServer((sock) => serve(sock, supervisor, stop));
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(ctx.paths.socket, () => resolve());
    });
    chmodSync(ctx.paths.socket, 0o600);
  } catch (e) {
    server?.close();
    rmSync(ctx.paths.pidFile, { force: true });
    throw e;
  }
  if (opts.handleSignals) for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, onSignal);
  await supervisor.idle();
  return { supervisor, stop, done };
}

function serve(sock: Socket, sup: Supervisor, stop: () => Promise<void>): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => undefined);
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) void answer(sock, sup, stop, line);
    }
  });
}

async function answer(sock: Socket, sup: Supervisor, stop: () => Promise<void>, line: string): Promise<void> {
  let id = 0;
  let res: SupervisorResponse;
  try {
    const req = JSON.parse(line) as SupervisorRequest;
    id = Number(req.id) || 0;
    res = { id, ok: true, result: await dispatch(req, sup, stop) };
  } catch (e) {
    res = { id, ok: false, error: errorToJson(e) };
  }
  if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
}

async function dispatch(req: SupervisorRequest, sup: Supervisor, stop: () => Promise<void>): Promise<unknown> {
  switch (req.op) {
    case 'ping':
      return { pid: process.pid };
    case 'status':
      return sup.status();
    case 'activate':
      return sup.activate(req.name, req.ca);
    case 'deactivate':
      return sup.deactivate(req.name);
    case 'boot':
      return sup.boot(req.ca);
    case 'shutdown':
      await stop();
      return { stopped: true };
    default:
      throw invalid(`unknown supervisor operation ${JSON.stringify((req as { op?: unknown }).op)}`);
  }
}
