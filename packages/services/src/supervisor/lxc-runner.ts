import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { lxcExecute, lxcInfo, lxcStop, type LxcContext } from '../lxc/lxc';
import type { ProcessExit } from '../sys';
import type { RunHandle, Runner } from './unit';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The pid in lxc's "started with pid" line written after byte `from` of its log, if there is one yet. */
function startedPid(file: string, from: number): number | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const len = fstatSync(fd).size - from;
    if (len <= 0) return null;
    const buf = Buffer.alloc(Math.min(len, 1 << 20));
    readSync(fd, buf, 0, buf.length, from);
    const m = /execute_post_start:\d+ - .* started with pid '(\d+)'/.exec(buf.toString('utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True when `p` settled within `ms` (the timer is cleared either way). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a container with `lxc-execute` (foreground, exit status passed through) and reports it
 * running once `lxc-info` says RUNNING with an init pid. Stopping asks lxc-stop for a clean
 * halt (lxc-init turns it into SIGTERM for the command) with lxc's own SIGKILL after the grace.
 */
export class LxcRunner implements Runner {
  /** @param lxcLog the container's `lxc.log.file`; @param logFile where the command's output goes. */
  constructor(private readonly lxc: LxcContext, private readonly name: string, private readonly logFile: string, private readonly lxcLog: string) {}

  start(): RunHandle {
    const from = sizeOf(this.lxcLog);
    const proc = lxcExecute(this.lxc, this.name, this.logFile);
    let exit: ProcessExit | null = null;
    const exited = proc.exited.then((e) => (exit = e));
    const running = (async () => {
      // lxc logs "'<cmd>' started with pid '<host pid>'" (NOTICE) once the container runs: reading
      // that costs no process, unlike lxc-info, which is the fallback (log level above NOTICE).
      // Back off from 5 ms to 50 ms: a container is usually up within a few tens of ms.
      let waited = 0;
      for (let wait = 5; exit === null; wait = Math.min(wait * 2, 50)) {
        const logged = startedPid(this.lxcLog, from);
        if (logged !== null) return exit === null ? logged : null;
        if (waited >= 200) {
          const info = await lxcInfo(this.lxc, this.name);
          if (exit !== null) return null;
          if (info.state === 'RUNNING' && info.pid !== null) return info.pid;
        }
        await Promise.race([sleep(wait), exited]);
        waited += wait;
      }
      return null;
    })();
    const stop = async (graceMs: number) => {
      if (exit !== null) return;
      await lxcStop(this.lxc, this.name, graceMs);
      // lxc-stop fails on a container that is not up yet; then end lxc-execute itself.
      if (!(await within(exited, graceMs + 2000)) && exit === null) {
        this.lxc.sys.kill(-proc.pid, 'SIGKILL');
        await lxcStop(this.lxc, this.name, 0);
      }
    };
    return { running, exited, stop };
  }
}
