import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from './cli';

/** Debian's kernel, unpacked by `scripts/fetch-kernel`: what a booted test needs from it. */
export interface Kernel {
  /** The unpacked package (`dpkg -x` tree): `boot/`, `lib/modules/KVER/` (with `modules.dep`). */
  root: string;
  kver: string;
  /** The bzImage (XZ-compressed; ~2.8 s of self-decompression under TCG). */
  vmlinuz: string;
  /** The uncompressed ELF with the PVH entry note, when it could be extracted: boots faster. */
  vmlinux?: string;
  /** `root/lib/modules/KVER`. */
  modulesDir: string;
}

export interface DebianKernelOptions {
  /** Default `${MOS_CACHE_DIR:-/var/cache/mos-test}/kernel`, as `scripts/fetch-kernel` uses. */
  cacheDir?: string;
  /** Run `scripts/fetch-kernel` when the cache has no kernel. Default true. */
  fetch?: boolean;
}

/** No kernel in the cache and none could be fetched. A booted test fails with it; it never skips. */
export class KernelMissingError extends Error {
  readonly code = 'ERR_TEST_KERNEL_MISSING';
  constructor(
    message: string,
    readonly cacheDir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KernelMissingError';
  }
  toJSON() {
    return { name: this.name, code: this.code, message: this.message, cacheDir: this.cacheDir };
  }
}

/** The kernel cache `scripts/fetch-kernel` fills by default. */
export function kernelCacheDir(): string {
  return join(process.env.MOS_CACHE_DIR || '/var/cache/mos-test', 'kernel');
}

const FETCH = join(TOP, 'scripts', 'fetch-kernel');
const pending = new Map<string, Promise<Kernel>>();

/**
 * Debian's current amd64 kernel from the test cache, fetched (download, unpack, depmod, vmlinux
 * extraction: ~15 s, once) when the cache has none. Throws {@link KernelMissingError} saying how to
 * fetch it when that fails (offline, no apt): tests that need a kernel must fail, not skip.
 *
 * @example
 * ```ts
 * import { debianKernel } from '@mos/test-utils';
 * const k = await debianKernel(); // { kver: '6.1.0-57-amd64', vmlinux: '…/boot/vmlinux-6.1.0-57-amd64', … }
 * ```
 */
export function debianKernel(opts: DebianKernelOptions = {}): Promise<Kernel> {
  const cacheDir = opts.cacheDir ?? kernelCacheDir();
  const key = `${cacheDir}\0${opts.fetch !== false}`;
  let p = pending.get(key);
  if (!p) {
    p = loadKernel(cacheDir, opts.fetch !== false);
    pending.set(key, p);
    // A failure is not cached: a later call may succeed (e.g. after scripts/fetch-kernel ran).
    p.catch(() => pending.delete(key));
  }
  return p;
}

async function loadKernel(cacheDir: string, fetch: boolean): Promise<Kernel> {
  const cached = readCache(cacheDir);
  if (cached) return cached;
  const how = `run \`scripts/fetch-kernel${cacheDir === kernelCacheDir() ? '' : ` ${cacheDir}`}\` (needs apt and network once; scripts/setup does it)`;
  if (!fetch) throw new KernelMissingError(`no Debian kernel in ${cacheDir}: ${how}`, cacheDir);
  const r = await run(FETCH, [cacheDir]);
  if (r.code !== 0) {
    throw new KernelMissingError(`no Debian kernel in ${cacheDir}, and scripts/fetch-kernel failed (exit ${r.code}): ${lastLines(r.stderr)}\nTo fix: ${how}`, cacheDir);
  }
  const fetched = readCache(cacheDir);
  if (!fetched) throw new KernelMissingError(`scripts/fetch-kernel succeeded but ${cacheDir}/kernel.json names no complete kernel: ${how}`, cacheDir);
  return fetched;
}

/** The kernel `kernel.json` names, if all its files exist. */
function readCache(cacheDir: string): Kernel | undefined {
  let j: Partial<Kernel>;
  try {
    j = JSON.parse(readFileSync(join(cacheDir, 'kernel.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const { root, kver, vmlinuz, vmlinux, modulesDir } = j;
  if (typeof root !== 'string' || typeof kver !== 'string' || typeof vmlinuz !== 'string' || typeof modulesDir !== 'string') return undefined;
  if (!existsSync(join(root, '.mos-complete')) || !existsSync(vmlinuz) || !existsSync(join(modulesDir, 'modules.dep'))) return undefined;
  return { root, kver, vmlinuz, ...(typeof vmlinux === 'string' && existsSync(vmlinux) ? { vmlinux } : {}), modulesDir };
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // process.env explicitly: under jest it is the test's copy, which spawn would not see.
    const child = spawn('bash', [cmd, ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', (e) => resolve({ code: -1, stdout, stderr: stderr + String(e) }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLines = (s: string, n = 8) => s.trim().split('\n').slice(-n).join('\n');
