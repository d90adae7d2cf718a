import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** A virtio-blk disk; the n-th one is `/dev/vda`, `/dev/vdb`, … in the guest. */
export interface QemuDisk {
  file: string;
  /** Guest writes go to a temp overlay, not the file (and no image lock clash). Default true. */
  snapshot?: boolean;
  /** The guest sees a read-only disk. Default false. */
  readonly?: boolean;
  /** Default 'raw'. */
  format?: 'raw';
}

export interface BootOptions {
  /** A bzImage (`vmlinuz`) or an ELF `vmlinux` with a PVH note (booted directly, ~2.8 s faster under TCG). */
  kernel: string;
  initrd: string;
  /**
   * The kernel command line. Include `console=ttyS0` to see anything; `panic=-1` is advisable.
   * Under TCG the harness adds {@link TCG_APPEND}: an emulated CPU on a busy host stops for
   * seconds at a time, and the kernel's stall and lockup reports are errors printed on the
   * console even with `quiet`, in the middle of the lines tests read.
   */
  append: string;
  disks?: QemuDisk[];
  /** Default 1024. An initramfs with node in it needs ≥ 384. */
  memoryMiB?: number;
  /** Default 1: each vCPU is one host thread under TCG. */
  smp?: number;
  /**
   * A hang guard, never a performance assertion: qemu is killed after this long and the
   * result says `timedOut`. Default 420000 (a boot takes 10-50 s here; a slow or loaded runner
   * must not turn into a red test).
   */
  timeoutMs?: number;
  /** Stop qemu as soon as a console line matches (killed; not an error: `stoppedByUntil`). */
  until?: RegExp;
  /** Each console line as it arrives (escape sequences stripped), with ms since qemu started. */
  onLine?: (line: string, elapsedMs: number) => void;
  /** Write the whole console log here as it arrives (plus the command line and how qemu ended). */
  logFile?: string;
  /** Default `MOS_QEMU_ACCEL` or 'tcg'. KVM exists on some runners but hangs (boot.md §9). */
  accel?: string;
  /** More qemu arguments, appended. */
  extraArgs?: string[];
}

export interface BootResult {
  /** qemu's exit status: 0 after `poweroff -f`, 1 after a kernel panic (pvpanic), `(v<<1)|1` from isa-debug-exit. Null when killed. */
  exitCode: number | null;
  /** 'SIGKILL' when the harness stopped qemu (timeout or `until`). */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stoppedByUntil: boolean;
  /** The console showed "Kernel panic - not syncing" (also when no pvpanic driver turned it into exit 1). */
  panicked: boolean;
  /** The console lines, escape sequences and CRs stripped. */
  lines: string[];
  /** `lines` joined with newlines. */
  log: string;
  /** `MARK:<key> <value>` found anywhere in a line, values in order per key. */
  markers: Map<string, string[]>;
  /** What qemu itself printed (warnings, errors). */
  stderr: string;
  durationMs: number;
  /** Process group of the qemu run (gone when the promise settles). */
  pgid: number;
  /** The qemu command line. */
  args: string[];
}

export const QEMU = 'qemu-system-x86_64';
/** The I/O port of the isa-debug-exit device: a byte `v` written there exits qemu with `(v<<1)|1`. */
export const DEBUG_EXIT_PORT = 0xf4;

/** The qemu arguments {@link bootQemu} runs (without the `timeout` backstop). */
/** What a TCG guest's command line gets: no RCU stall reports, no soft/hard lockup watchdog. */
export const TCG_APPEND = 'rcupdate.rcu_cpu_stall_suppress=1 nowatchdog';

export function qemuArgs(opts: BootOptions): string[] {
  const accel = opts.accel ?? (process.env.MOS_QEMU_ACCEL || 'tcg');
  if (!/^[a-z]+$/.test(accel)) throw new TypeError(`bootQemu: accel must be a qemu accelerator name such as tcg or kvm, not ${JSON.stringify(accel)}`);
  const args = [
    '-accel', accel,
    '-m', String(opts.memoryMiB ?? 1024),
    '-smp', String(opts.smp ?? 1),
    // No monitor and no SeaBIOS screen on the serial line: the console is only the guest's.
    '-display', 'none', '-vga', 'none', '-monitor', 'none', '-serial', 'stdio',
    '-no-reboot', '-nic', 'none',
    // A guest panic exits qemu 1 (the guest binds the ISA device with pvpanic-mmio.ko, ACPI QEMU0001).
    '-device', 'pvpanic', '-action', 'panic=exit-failure',
    '-device', `isa-debug-exit,iobase=0x${DEBUG_EXIT_PORT.toString(16)},iosize=0x04`,
    '-kernel', opts.kernel,
    '-initrd', opts.initrd,
    '-append', accel === 'tcg' ? `${opts.append} ${TCG_APPEND}` : opts.append,
  ];
  for (const d of opts.disks ?? []) {
    const props = [`file=${d.file.replace(/,/g, ',,')}`, 'if=virtio', `format=${d.format ?? 'raw'}`, `snapshot=${d.snapshot === false ? 'off' : 'on'}`];
    if (d.readonly) props.push('readonly=on');
    args.push('-drive', props.join(','));
  }
  return [...args, ...(opts.extraArgs ?? [])];
}

function assertOptions(opts: BootOptions): void {
  const file = (what: string, p: unknown) => {
    if (typeof p !== 'string' || !p) throw new TypeError(`bootQemu: ${what} must be a path`);
    try {
      if (!statSync(p).isFile()) throw new Error('not a file');
    } catch {
      throw new TypeError(`bootQemu: ${what} ${p} is not a file`);
    }
  };
  file('kernel', opts.kernel);
  file('initrd', opts.initrd);
  if (typeof opts.append !== 'string') throw new TypeError('bootQemu: append must be a string');
  (opts.disks ?? []).forEach((d, i) => file(`disks[${i}].file`, d?.file));
  const int = (what: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new TypeError(`bootQemu: ${what} must be an integer ≥ ${min}, not ${v}`);
  };
  int('memoryMiB', opts.memoryMiB, 64);
  int('smp', opts.smp, 1);
  int('timeoutMs', opts.timeoutMs, 1);
}

// Every qemu started and not yet reaped, by process group: killed when this process ends.
const live = new Set<number>();
/**
 * SIGKILLs qemu, the child of the `timeout` that leads the group: `timeout` then reaps it and
 * dies of the same signal. Killing the whole group at once would orphan qemu as a zombie until
 * init reaps it. The group is the fallback when the child can't be found.
 */
const killGroup = (pgid: number) => {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pgid}/task/${pgid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no /proc children file (or the leader is gone): kill the group
  }
  for (const pid of kids.length ? kids : [-pgid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};
const killGroupNow = (pgid: number) => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
};
const killAll = () => live.forEach(killGroup);
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const onSignal = (sig: NodeJS.Signals) => {
  killAll();
  unwatch();
  // Ours was the only handler: do what the signal would have done without it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
};
function watch(): void {
  if (live.size !== 1) return;
  process.on('exit', killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
function unwatch(): void {
  process.removeListener('exit', killAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Process groups of the qemu runs of this process that are still alive. */
export const liveQemuGroups = (): number[] => [...live];

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b.|[\x00-\x08\x0b-\x1f\x7f]/g;
/** A console line without ANSI escape sequences and control characters (CRs included). */
export const stripEscapes = (s: string): string => s.replace(ESCAPES, '');

const MARK = /MARK:(\S+)(?:[ \t]+(.*?))?[ \t]*$/;
/** `MARK:<key> <value>` anywhere in each line (other output may precede it), values in order per key. */
export function parseMarkers(lines: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of lines) {
    const m = MARK.exec(l);
    if (!m) continue;
    const list = out.get(m[1]) ?? [];
    list.push(m[2] ?? '');
    out.set(m[1], list);
  }
  return out;
}

/**
 * Boots a kernel and initramfs under qemu (TCG unless `MOS_QEMU_ACCEL` says otherwise) with the
 * console on a pipe, and resolves when qemu has ended: by itself (poweroff, panic through
 * pvpanic, isa-debug-exit), or killed because `until` matched or `timeoutMs` passed. qemu runs in
 * its own process group under a `timeout -s KILL` backstop (`timeoutMs` + 30 s, for when this
 * process is SIGKILLed); qemu is SIGKILLed on timeout, on `until`, and when this process exits or
 * gets SIGINT/SIGTERM/SIGHUP, so no qemu outlives a test. Rejects only for bad options, a missing
 * qemu, or an `onLine` that threw.
 *
 * @example
 * ```ts
 * import { bootQemu, debianKernel } from '@mos/test-utils';
 * const k = await debianKernel();
 * const r = await bootQemu({ kernel: k.vmlinux ?? k.vmlinuz, initrd, append: 'console=ttyS0 quiet panic=-1', until: /MARK:done/ });
 * // r.markers.get('hello') → ['']; r.exitCode 0 after poweroff -f
 * ```
 */
export function bootQemu(opts: BootOptions): Promise<BootResult> {
  assertOptions(opts);
  const args = qemuArgs(opts);
  const timeoutMs = opts.timeoutMs ?? 420_000;
  const until = opts.until ? new RegExp(opts.until.source, opts.until.flags.replace(/[gy]/g, '')) : undefined;
  // The backstop: qemu dies even if this process is SIGKILLed before it can clean up.
  const backstopS = Math.ceil(timeoutMs / 1000) + 30;
  const log = opts.logFile ? openSync(opts.logFile, 'w') : undefined;
  const note = (s: string) => log !== undefined && writeSync(log, `[bootQemu] ${s}\n`);
  note(`${QEMU} ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`);

  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('timeout', ['-s', 'KILL', `${backstopS}s`, QEMU, ...args], { detached: true, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = child.pid;
    if (pgid === undefined) {
      if (log !== undefined) closeSync(log);
      child.once('error', (e) => reject(new Error(`bootQemu: cannot start ${QEMU}: ${e.message}`)));
      return;
    }
    live.add(pgid);
    watch();
    const lines: string[] = [];
    let stderr = '';
    let partial = '';
    let timedOut = false;
    let stoppedByUntil = false;
    let failure: unknown;
    let escalate: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(pgid);
      // Should the group outlive that (it does not), the whole group goes 5 s later.
      escalate ??= setTimeout(() => live.has(pgid) && killGroupNow(pgid), 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      note(`timeout after ${timeoutMs} ms: killing qemu`);
      stop();
    }, timeoutMs);

    const take = (raw: string) => {
      const line = stripEscapes(raw);
      lines.push(line);
      if (log !== undefined) writeSync(log, `${line}\n`);
      if (opts.onLine && failure === undefined) {
        try {
          opts.onLine(line, performance.now() - started);
        } catch (e) {
          failure = e;
          stop();
        }
      }
      if (until && !stoppedByUntil && !timedOut && until.test(line)) {
        stoppedByUntil = true;
        stop();
      }
    };
    const decoder = new StringDecoder('utf8');
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + decoder.write(d)).split('\n');
      partial = parts.pop()!;
      parts.forEach(take);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', (e) => (failure ??= e));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(escalate);
      live.delete(pgid);
      if (live.size === 0) unwatch();
      const rest = partial + decoder.end();
      if (rest) take(rest);
      const durationMs = Math.round(performance.now() - started);
      note(`qemu ended: exit ${code} signal ${signal} timedOut ${timedOut} stoppedByUntil ${stoppedByUntil} after ${durationMs} ms`);
      if (stderr) note(`qemu stderr:\n${stderr.trimEnd()}`);
      if (log !== undefined) closeSync(log);
      if (failure !== undefined) return reject(failure);
      if ((code === 126 || code === 127) && /timeout: failed to run command/.test(stderr))
        return reject(new Error(`bootQemu: cannot run ${QEMU} (install qemu-system-x86; scripts/setup does): ${stderr.trim()}`));
      resolve({
        exitCode: code,
        signal,
        timedOut,
        stoppedByUntil,
        panicked: lines.some((l) => l.includes('Kernel panic - not syncing')),
        lines,
        log: lines.join('\n'),
        markers: parseMarkers(lines),
        stderr,
        durationMs,
        pgid,
        args,
      });
    });
  });
}
