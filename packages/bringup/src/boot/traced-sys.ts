import type { BootSys } from './boot-sys';

/**
 * `rd.soci-debug`: the same machine, but every effect the boot flow makes through it (mounts,
 * moves, tools it runs, files it writes) is logged with how long it took. Reads (the block
 * device list, `exists`) and the clock are passed through unlogged: the device wait polls them.
 */
export function tracedBootSys(sys: BootSys, log: (s: string) => void): BootSys {
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = sys.now();
    try {
      const r = await fn();
      log(`debug: ${what} (${Math.round(sys.now() - t0)} ms)`);
      return r;
    } catch (e) {
      log(`debug: ${what} failed after ${Math.round(sys.now() - t0)} ms: ${(e as Error).message}`);
      throw e;
    }
  };
  return {
    mount: (m) => timed(`mount -t ${m.fstype} -o ${m.options} ${m.source} ${m.target}`, () => sys.mount(m)),
    moveMount: (from, to) => timed(`mount --move ${from} ${to}`, () => sys.moveMount(from, to)),
    run: (tool, args) => timed(`${tool} ${args.join(' ')}`, () => sys.run(tool, args)),
    mkdirp: (p, mode) => timed(`mkdir -p ${p}`, () => sys.mkdirp(p, mode)),
    writeFile: (p, data, mode) => timed(`write ${p}`, () => sys.writeFile(p, data, mode)),
    writeFileDurable: (p, data) => timed(`write ${p} (durable)`, () => sys.writeFileDurable(p, data)),
    copyFile: (from, to, mode) => timed(`copy ${from} ${to}`, () => sys.copyFile(from, to, mode)),
    blockDevices: () => sys.blockDevices(),
    exists: (p) => sys.exists(p),
    sleep: (ms) => sys.sleep(ms),
    now: () => sys.now(),
  };
}
