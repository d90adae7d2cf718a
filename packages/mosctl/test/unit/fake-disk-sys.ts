import type { DiskSys, RunOptions, RunResult } from '../../src/disk/sys';

/** A fake machine for the disk code: files (sysfs/procfs text), block devices (bytes) and scripted tools. */
export interface FakeSysSpec {
  files?: Record<string, string>;
  devices?: Record<string, Buffer>;
  /** `MAJ:MIN` → the sysfs dir `/sys/dev/block/MAJ:MIN` resolves to. */
  sysDev?: Record<string, string>;
  /** Regular files (not block devices). */
  regular?: string[];
  /** rdev of each device path. */
  rdev?: Record<string, number>;
  tools?: (tool: string, args: string[], opts: RunOptions) => RunResult | undefined;
}

export function fakeSys(spec: FakeSysSpec): DiskSys & { calls: { tool: string; args: string[]; input?: string }[] } {
  const files = spec.files ?? {};
  const calls: { tool: string; args: string[]; input?: string }[] = [];
  return {
    calls,
    async run(tool, args, opts = {}) {
      calls.push({ tool, args, ...(opts.input !== undefined ? { input: opts.input } : {}) });
      const r = spec.tools?.(tool, args, opts) ?? { code: 0, stdout: '', stderr: '' };
      if (r.code !== 0 && !opts.allowFail) throw Object.assign(new Error(`${tool} failed`), { code: 'ERR_MOSCTL_TOOL_FAILED' });
      return r;
    },
    stat(path) {
      if (spec.regular?.includes(path)) return { blockDevice: false, rdev: 0 };
      if (spec.rdev?.[path] !== undefined || spec.devices?.[path]) return { blockDevice: true, rdev: spec.rdev?.[path] ?? 0 };
      return undefined;
    },
    readText(path) {
      return files[path]?.trim();
    },
    readBytes(path, offset, length) {
      const d = spec.devices?.[path];
      if (!d) throw new Error(`ENOENT ${path}`);
      return d.subarray(offset, offset + length);
    },
    list(dir) {
      const names = new Set<string>();
      for (const p of [...Object.keys(files), ...Object.keys(spec.devices ?? {})]) {
        if (p.startsWith(dir + '/')) names.add(p.slice(dir.length + 1).split('/')[0]);
      }
      return [...names];
    },
    realpath(path) {
      const m = /^\/sys\/dev\/block\/(.+)$/.exec(path);
      return m ? spec.sysDev?.[m[1]] : path;
    },
    async sleep() {},
  };
}
