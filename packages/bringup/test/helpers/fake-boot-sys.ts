import type { BlockDevice, BootSys } from '@mos/bringup';

/** A machine for the boot flow's unit tests: records calls, a settable device list, a fake clock. */
export class FakeBootSys implements BootSys {
  /** Answers of `run`, by tool. */
  answers = new Map<string, string>();
  calls: string[] = [];
  devices: BlockDevice[] = [];
  files = new Set<string>();
  clock = 0;
  async mount(m: { fstype: string; source: string; target: string; options: string }) {
    this.calls.push(`mount ${m.fstype} ${m.source} ${m.target} ${m.options}`);
  }
  async moveMount(from: string, to: string) {
    this.calls.push(`move ${from} ${to}`);
  }
  async run(tool: string, args: string[]) {
    this.calls.push(`run ${tool} ${args.join(' ')}`);
    return this.answers.get(tool) ?? '';
  }
  async blockDevices() {
    return this.devices;
  }
  async mkdirp(p: string) {
    this.files.add(p);
  }
  async writeFile(p: string, data: string) {
    this.calls.push(`write ${p} ${data.trim()}`);
  }
  async writeFileDurable(p: string, data: string) {
    this.calls.push(`write-durable ${p} ${data.trim()}`);
  }
  async copyFile(from: string, to: string) {
    this.calls.push(`copy ${from} ${to}`);
  }
  exists(p: string) {
    return this.files.has(p);
  }
  async sleep(ms: number) {
    this.clock += ms;
  }
  now() {
    return this.clock;
  }
}

