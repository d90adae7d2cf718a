import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { atomicWriteFile } from '@mos/manifest';
import { BringupError } from '../errors';

/** A block device as the kernel lists it in `/sys/class/block/<name>/uevent`. */
export interface BlockDevice {
  /** `vda2`, `loop0p1`, `nvme0n1p3`. */
  name: string;
  /** `/dev/<name>`. */
  path: string;
  /** The GPT partition name (`PARTNAME=`), when it is a named partition. */
  partname?: string;
}

/**
 * The one seam through which the boot flow touches the machine: mounts, mount moves, the
 * kernel's block device list, and the few files it writes in the initramfs and the new root.
 * The real one is {@link realBootSys}; unit tests record calls on a fake.
 */
export interface BootSys {
  mount(m: { fstype: string; source: string; target: string; options: string }): Promise<void>;
  /** `mount --move from to`: the subtree under `from` goes along. */
  moveMount(from: string, to: string): Promise<void>;
  /** Runs a tool (`ip`, `findfs`) and returns its stdout; throws on a non-zero exit. */
  run(tool: string, args: string[]): Promise<string>;
  blockDevices(): Promise<BlockDevice[]>;
  mkdirp(path: string, mode?: number): Promise<void>;
  writeFile(path: string, data: string, mode?: number): Promise<void>;
  /** Replaces `path` so that it survives a crash right after: temp name, fsync, rename, fsync of the directory. */
  writeFileDurable(path: string, data: string): Promise<void>;
  copyFile(from: string, to: string, mode?: number): Promise<void>;
  /** Whether `path` exists (a dangling symlink counts: the new root resolves it, not we). */
  exists(path: string): boolean;
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

function run(tool: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', (e) => reject(new BringupError('ERR_BRINGUP_MOUNT_FAILED', `${tool}: ${e.message}`, { cause: e, details: { tool, args } })));
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new BringupError('ERR_BRINGUP_MOUNT_FAILED', `${tool} ${args.join(' ')}: ${err.trim() || `exit ${code}`}`, { details: { tool, args, exitCode: code } })),
    );
  });
}

function parseUevent(name: string, text: string): BlockDevice {
  const kv = new Map(text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const dev = kv.get('DEVNAME') || name;
  return { name, path: `/dev/${dev}`, ...(kv.get('PARTNAME') ? { partname: kv.get('PARTNAME') } : {}) };
}

/** The real machine (the initramfs, or a host when tests drive the flow for real). */
export const realBootSys: BootSys = {
  mount: async ({ fstype, source, target, options }) => {
    await run('mount', ['-t', fstype, '-o', options, source, target]);
  },
  moveMount: async (from, to) => {
    await run('mount', ['--move', from, to]);
  },
  run,
  async blockDevices() {
    const names = await readdir('/sys/class/block').catch(() => [] as string[]);
    const out: BlockDevice[] = [];
    for (const n of names.sort()) {
      const text = await readFile(join('/sys/class/block', n, 'uevent'), 'utf8').catch(() => undefined);
      if (text !== undefined) out.push(parseUevent(n, text));
    }
    return out;
  },
  async mkdirp(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  async writeFile(path, data, mode) {
    await writeFile(path, data, { mode });
  },
  writeFileDurable: (path, data) => atomicWriteFile(path, data),
  async copyFile(from, to, mode) {
    await copyFile(from, to);
    if (mode !== undefined) await chmod(to, mode);
  },
  exists(p) {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  },
  sleep: (ms) => sleep(ms),
  now: () => performance.now(),
};

export { parseUevent as _parseUevent };
