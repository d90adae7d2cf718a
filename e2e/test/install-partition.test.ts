import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin, runOk } from '@mos/test-utils';
import { handJson, handPublish, opensslSign, skopeoPush } from './helpers/hand-made';
import { installYaml, makeWorld, publishYaml, stopWorld, type World } from './helpers/world';

// `mosctl install --partition DISK [--wipe]` (mos-original §4.3 doPartition, §4.4, §7 C43, C50)
// on real loop devices: sfdisk, blkid, git and e2fsck check what it wrote; every refusal leaves
// the image byte for byte as it was.
const MiB = 1024 * 1024;
const TYPES = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  'machine-config': 'F79962B9-24E6-9948-9F94-E6BFDAD2771A',
  'machine-store': 'F79962B9-24E6-9948-9F94-E6BFDAD2771B',
  'machine-scratch': 'F79962B9-24E6-9948-9F94-E6BFDAD2771C',
};

let w: World;
let url: string;
let dir: string;
const loops: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
  dir = w.dirs.make('mos-e2e-disk-');
  url = await publishYaml(w, installYaml(w, 'hostfsonly'), 'machine/install:disk');
});
afterAll(async () => {
  for (const l of [...loops]) release(l);
  try {
    // The fixture must not leak loop devices.
    if (dir) expect(sh('losetup', ['-a', '-O', 'BACK-FILE', '-n'])).not.toContain(dir);
  } finally {
    await stopWorld(w);
  }
});

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', ...(input !== undefined ? { input } : {}) });
const mosctl = (...args: string[]) => runBin('mosctl', args, { env: w.env });

/** A sparse image file attached as a loop device with partition scanning. */
function disk(name: string, bytes: number): { image: string; dev: string } {
  const image = join(dir, `${name}.img`);
  writeFileSync(image, '');
  execFileSync('truncate', ['-s', String(bytes), image]);
  const dev = sh('losetup', ['-P', '-f', '--show', image]).trim();
  loops.push(dev);
  return { image, dev };
}

/** Unmounts whatever is mounted from `dev` or its partitions, detaches it (a safety net, also after failures). */
function release(dev: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' - ')[1]?.split(' ')[1] && { src: l.split(' - ')[1].split(' ')[1], at: l.split(' ')[4] })
    .filter((m): m is { src: string; at: string } => !!m && (m.src === dev || m.src.startsWith(`${dev}p`)));
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m.at], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m.at], { stdio: 'ignore' });
    }
  }
  try {
    execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
  } catch {
    // already detached
  }
  const i = loops.indexOf(dev);
  if (i >= 0) loops.splice(i, 1);
}

function sha256(file: string): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(4 * MiB);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** The partition device named `name`, from sfdisk's view of the table (numbers not assumed). */
function partitionNamed(dev: string, name: string): string {
  const parts = JSON.parse(sh('sfdisk', ['--json', dev])).partitiontable.partitions as { node: string; name: string }[];
  return parts.find((p) => p.name === name)!.node;
}

/** Mounts a partition read-only at a fresh dir, runs `fn`, unmounts. */
async function withMounted<T>(dev: string, fn: (at: string) => T | Promise<T>): Promise<T> {
  const at = w.dirs.make('mos-e2e-mnt-');
  execFileSync('mount', ['-o', 'ro', dev, at]);
  try {
    return await fn(at);
  } finally {
    execFileSync('umount', [at]);
  }
}

const blkid = (dev: string) => Object.fromEntries(sh('blkid', ['-p', '-o', 'export', dev]).trim().split('\n').map((l) => l.split('=', 2) as [string, string]));

/** No mount of the disk is left and no private install root either. */
function nothingLeft(dev: string) {
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(new RegExp(` ${dev}p?\\d* `));
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/\/mos-install-/);
}

describe('mosctl install --partition', () => {
  let installed: { image: string; dev: string };

  test('a 512 MiB disk: GPT, filesystems, a verified install on the config and store partitions', async () => {
    installed = disk('good', 512 * MiB);
    const { dev } = installed;
    const t0 = Date.now();
    const r = await mosctl('install', '--partition', dev, '--ca', w.caPath, '--json', url);
    const took = Date.now() - t0;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `warning: ${dev} has no boot files: the install manifest has no bootkit target, so the ESP is empty\n` });
    process.stdout.write(`install --partition of a 512 MiB image: ${took} ms\n`);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ disk: dev, product: w.product, targets: ['hostfs'], bootFiles: [] });
    expect(out.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(out.install).toMatch(/^[0-9a-f]{64}$/);
    nothingLeft(dev);

    // The table, as sfdisk reads it: order, names, types, 1 MiB alignment from 4 MiB.
    const table = JSON.parse(sh('sfdisk', ['--json', dev])).partitiontable;
    expect(table.label).toBe('gpt');
    const parts = table.partitions as { node: string; start: number; size: number; type: string; name: string }[];
    expect(parts.map((p) => [p.name, p.type])).toEqual(Object.entries(TYPES));
    expect(parts[0].start * table.sectorsize).toBe(4 * MiB);
    for (const [i, p] of parts.entries()) {
      expect((p.start * table.sectorsize) % MiB).toBe(0);
      expect((p.size * table.sectorsize) % MiB).toBe(0);
      if (i > 0) expect(p.start).toBeGreaterThanOrEqual(parts[i - 1].start + parts[i - 1].size);
    }
    expect(out.partitions).toEqual(parts.map((p) => ({ name: p.name, device: p.node, start: p.start * 512, size: p.size * 512, type: p.type })));

    // Filesystems, as blkid probes them.
    const fs = parts.map((p) => blkid(p.node));
    expect(fs.map((f) => [f.TYPE, f.LABEL, f.PART_ENTRY_NAME])).toEqual([
      ['vfat', 'ESP', 'esp'],
      ['ext4', 'machine-config', 'machine-config'],
      ['ext4', 'machine-store', 'machine-store'],
      ['ext4', 'machine-scratch', 'machine-scratch'],
    ]);
    expect(fs[0].VERSION).toBe('FAT32');
    for (const p of parts.slice(1)) sh('e2fsck', ['-f', '-n', p.node]);
    sh('fsck.vfat', ['-n', parts[0].node]);

    // The config partition holds manifest.git (one commit) and no CA: the initrd brings its own.
    await withMounted(partitionNamed(dev, 'machine-config'), (at) => {
      const git = (...a: string[]) => sh('git', ['-C', join(at, 'manifest.git'), ...a]);
      expect(git('log', '--format=%an <%ae>|%s', 'master').trim()).toBe('machine <root@machine.local>|Initial commit');
      expect(git('ls-tree', '--name-only', 'master').trim().split('\n').sort()).toEqual([`${out.install}.json`, `${out.install}.json.signed`, `${out.install}.pem`, 'manifest.json']);
      git('-c', 'safe.directory=*', 'fsck', '--strict');
      expect(readdirSync(at).sort()).toEqual(['lost+found', 'manifest.git', 'manifest.lock', 'source.json']);
      // The source `update` follows is the reference given, not the digest the install pinned.
      expect(JSON.parse(readFileSync(join(at, 'source.json'), 'utf8'))).toEqual({ schema: 1, url, since: expect.any(String) });
    });
    await withMounted(partitionNamed(dev, 'machine-store'), (at) => {
      const index = JSON.parse(readFileSync(join(at, 'mos', 'index.json'), 'utf8'));
      const tags = index.manifests.map((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name']);
      expect(tags).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
      expect(readdirSync(at)).not.toContain('factory');
    });
    await withMounted(partitionNamed(dev, 'machine-scratch'), (at) => expect(readdirSync(at)).toEqual(['lost+found']));
  });

  test('a disk with partitions is refused without --wipe and left as it was (exit 5)', async () => {
    const before = sha256(installed.image);
    const r = await mosctl('install', '--partition', installed.dev, '--ca', w.caPath, url);
    expect(r.code).toBe(5);
    expect(r.stderr.trim()).toBe(
      `mosctl install: ${installed.dev} is not empty: it has a GPT with 4 partition(s) (esp, machine-config, machine-store, machine-scratch); pass --wipe to erase it`,
    );
    expect(sha256(installed.image)).toBe(before);
  });

  test('--wipe on a previously installed disk installs afresh', async () => {
    const r = await mosctl('install', '--partition', installed.dev, '--wipe', '--ca', w.caPath, '--json', url);
    expect(r.code).toBe(0);
    nothingLeft(installed.dev);
    await withMounted(partitionNamed(installed.dev, 'machine-config'), (at) => {
      expect(sh('git', ['-C', join(at, 'manifest.git'), 'rev-list', '--count', 'master']).trim()).toBe('1');
    });
  });

  test('a mounted partition: refused even with --wipe (exit 6), nothing changes', async () => {
    const scratch = partitionNamed(installed.dev, 'machine-scratch');
    const at = w.dirs.make('mos-e2e-busy-');
    execFileSync('mount', [scratch, at]);
    try {
      const before = sha256(installed.image);
      const r = await mosctl('install', '--partition', installed.dev, '--wipe', '--ca', w.caPath, url);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(`${scratch} is mounted on ${at}`);
      expect(sha256(installed.image)).toBe(before);
    } finally {
      execFileSync('umount', [at]);
    }
  });

  test('a bad signature: refused before the disk is touched (exit 3, image unchanged)', async () => {
    skopeoPush(w, 'busybox-squashfs');
    const cert = readFileSync(join(w.keysets, 'e2e', 'manifest', 'default', 'cert.pem'));
    const bad = await handPublish(w, { json: handJson(w), signature: Buffer.from('fooled ya\n'), cert, tag: 'disk-badsig' });
    const { image, dev } = disk('badsig', 512 * MiB);
    const before = sha256(image);
    const r = await mosctl('install', '--partition', dev, '--ca', w.caPath, bad);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad-signature/);
    expect(sha256(image)).toBe(before);
    expect(sh('wipefs', ['--json', dev]).replace(/\s/g, '')).toMatch(/^(\{"signatures":\[\]\})?$/);
    release(dev);
  });

  test('an install that fails after partitioning: the error says so, no manifest.git, nothing left mounted', async () => {
    const json = handJson(w, { digest: `sha256:${'0'.repeat(64)}` }); // signed, but the image is not in the registry
    const cert = readFileSync(join(w.keysets, 'e2e', 'manifest', 'default', 'cert.pem'));
    const missing = await handPublish(w, { json, signature: opensslSign(w, json), cert, tag: 'disk-missing' });
    const { dev } = disk('fails', 512 * MiB);
    const r = await mosctl('install', '--partition', dev, '--ca', w.caPath, missing);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${dev} is partitioned and formatted but holds no installed system (no manifest.git): target "hostfs": cannot import image`);
    nothingLeft(dev);
    await withMounted(partitionNamed(dev, 'machine-config'), (at) => expect(readdirSync(at)).not.toContain('manifest.git'));
    release(dev);
  });

  test('a disk below the minimum: refused, the minimum named (exit 2)', async () => {
    const { image, dev } = disk('small', 200 * MiB);
    const before = sha256(image);
    const r = await mosctl('install', '--partition', dev, '--ca', w.caPath, url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has 200 MiB; the mos layout needs at least 256 MiB/);
    expect(sha256(image)).toBe(before);
    release(dev);
  });

  test('a regular file, a partition, --rfs with --partition: usage-class refusals (exit 2)', async () => {
    const file = join(dir, 'plain.img');
    writeFileSync(file, Buffer.alloc(MiB));
    const r = await mosctl('install', '--partition', file, '--ca', w.caPath, url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a block device/);
    const p = await mosctl('install', '--partition', partitionNamed(installed.dev, 'esp'), '--ca', w.caPath, url);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/is partition 1 of .*pass the whole disk/);
    const both = await mosctl('install', '--partition', installed.dev, '--rfs', dir, url);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exclude each other/);
    const wipeAlone = await mosctl('install', '--wipe', '--rfs', dir, url);
    expect(wipeAlone.code).toBe(2);
  });

  test('a bootkit target: its boot files land in EFI/BOOT on the ESP, modules.squashfs stays in the image', async () => {
    const tree = join(dir, 'bootkit-tree');
    mkdirSync(join(tree, 'bootkit'), { recursive: true });
    writeFileSync(join(tree, 'bootkit', 'shim.efi'), 'shim\n');
    writeFileSync(join(tree, 'bootkit', 'kernel.efi'), 'kernel\n');
    writeFileSync(join(tree, 'bootkit', 'modules.squashfs'), 'not for the ESP\n');
    await runOk('atomfs', ['build', '--layout', w.zothub, '--tag', 'bootkit-squashfs', tree]);
    const yaml =
      installYaml(w, 'hostfsonly') +
      `  - service_name: bootkit\n    source: oci:${w.zothub}:bootkit-squashfs\n    version: 1.0.0\n    service_type: fs-only\n    nsgroup: ""\n    network: {type: none}\n`;
    const withBootkit = await publishYaml(w, yaml, 'machine/install:bootkit');
    const { dev } = disk('bootkit', 512 * MiB);
    const r = await mosctl('install', '--partition', dev, '--ca', w.caPath, '--json', withBootkit);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout).bootFiles).toEqual(['EFI/BOOT/kernel.efi', 'EFI/BOOT/shim.efi']);
    nothingLeft(dev);
    const esp = partitionNamed(dev, 'esp');
    const mtools = (tool: string, ...args: string[]) => execFileSync(tool, ['-i', esp, ...args], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    expect(mtools('mtype', '::/EFI/BOOT/shim.efi')).toBe('shim\n');
    expect(mtools('mtype', '::/EFI/BOOT/kernel.efi')).toBe('kernel\n');
    expect(mtools('mdir', '-b', '::/EFI/BOOT').trim().split('\n').sort()).toEqual(['::/EFI/BOOT/KERNEL.EFI', '::/EFI/BOOT/SHIM.EFI']);
    sh('fsck.vfat', ['-n', esp]);
    release(dev);
  });
});
