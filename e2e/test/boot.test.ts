import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootQemu, runOk, startOurRegistry } from '@mos/test-utils';
import { installYaml } from './helpers/world';
import { bootDisk, copyDisk, expectBootedOverVerity, flipLayerByte, installedDisk, makeBootWorld, marks, publishBootable, stopBootWorld, withPartition, type BootWorld } from './helpers/boot';

// Issue 15 §4: real boots under qemu (TCG) of a disk that `mosctl install --partition` made,
// with the kernel and initramfs of the keyset's bootkit (`mosb bootkit build`, added by publish, put on
// the ESP by install), with kernel dm-verity under every hostfs layer.
// Each scenario boots its own sparse copy of the disk; qemu is killed and every temp file and
// loop device removed afterwards (the helpers detach their loops in finally blocks).
let b: BootWorld;
let disk: string;

beforeAll(async () => {
  b = await makeBootWorld();
  disk = await installedDisk(b, await publishBootable(b, 'machine/boot:1.0'));
});
afterAll(() => stopBootWorld(b));


/** Runs git in the manifest.git of the disk's config partition, then commits what `edit` changed. */
async function commitOnDisk(image: string, edit: (repo: string) => void): Promise<void> {
  await withPartition(b, image, 'machine-config', (dir) => {
    const repo = join(dir, 'manifest.git');
    edit(repo);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'tamper']);
  });
}

const installSha = (repo: string) => readdirSync(repo).find((f) => /^[0-9a-f]{64}\.json$/.test(f))!.slice(0, 64);

function expectRefused(r: Awaited<ReturnType<typeof bootDisk>>, why: RegExp): void {
  expect(marks(r, 'hostfs-init')).toEqual([]);
  expect(r.log).toMatch(/mos-bringup: the system did not verify: NOT booting it/);
  expect(r.log).toMatch(why);
  expect(r.log).toMatch(/mos-init: bringup failed/);
}

test('boots: overlay root over dm-verity squashfs layers, partitions where they belong, the initrd CA in factory/secure', async () => {
  const r = await bootDisk(b, disk, 'rd.soci-debug init=/sbin/init');
  expect(r.timedOut).toBe(false);
  expect(marks(r, 'hostfs-init')).toHaveLength(1);
  expectBootedOverVerity(b, r);
  // rd.soci-debug: every effect bringup makes is on the console with its duration.
  expect(r.log).toMatch(/mos-bringup: debug: root=soci: \{"name":"mosboot","path":"oci"\}, init \/sbin\/init/);
  expect(r.log).toMatch(/mos-bringup: debug: mount -t ext4 -o ro,nodev,nosuid,noexec \/dev\/vda\d \/config \(\d+ ms\)/);
  expect(r.log).toMatch(/mos-bringup: debug: mount --move \/run \/sysroot\/run \(\d+ ms\)/);
  expect(r.log).toMatch(/mos-bringup: verified state [0-9a-f]{12} of product/);
});

test('a flipped byte in a block bringup reads (the squashfs superblock block): refused, naming the layer', async () => {
  const image = copyDisk(b, disk);
  const top = b.layers[b.layers.length - 1];
  await flipLayerByte(b, image, top, 200);
  const r = await bootDisk(b, image);
  expectRefused(r, new RegExp(`FATAL: \\[ERR_BRINGUP_IMAGE_VERIFY_FAILED\\] target hostfs \\(sha256:[0-9a-f]{64}\\) cannot be mounted: layer ${top}: dm-verity refused its data`));
  expect(r.log).toMatch(/device-mapper: verity: .*(data|metadata) block \d+ is corrupted/);
});

test('a flipped byte in file data read after switch_root: the kernel returns EIO, never the changed bytes', async () => {
  const image = copyDisk(b, disk);
  await flipLayerByte(b, image, b.layers[b.layers.length - 1], 2 * 1024 * 1024);
  const r = await bootDisk(b, image);
  expect(marks(r, 'hostfs-init')).toHaveLength(1);
  expect(marks(r, 'read')[0]).toMatch(/^failed .*(Input\/output|I\/O) error/);
  expect(r.log).toMatch(/device-mapper: verity: .*data block \d+ is corrupted/);
});

test('an install manifest re-signed by a key of another CA: refused', async () => {
  const image = copyDisk(b, disk);
  await runOk('trust', ['keyset', 'add', 'other'], { env: b.w.env });
  const other = join(b.w.keysets, 'other', 'manifest', 'default');
  await commitOnDisk(image, (repo) => {
    const sha = installSha(repo);
    execFileSync('openssl', ['dgst', '-sha256', '-sign', join(other, 'privkey.pem'), '-out', join(repo, `${sha}.json.signed`), join(repo, `${sha}.json`)]);
    writeFileSync(join(repo, `${sha}.pem`), readFileSync(join(other, 'cert.pem')));
  });
  const r = await bootDisk(b, image);
  expectRefused(r, /FATAL: (caused by: )?\[ERR_(TRUST|MANIFEST)_[A-Z_]+\]/);
});

test('a committed edit of SHA.json: refused', async () => {
  const image = copyDisk(b, disk);
  await commitOnDisk(image, (repo) => appendFileSync(join(repo, `${installSha(repo)}.json`), ' '));
  const r = await bootDisk(b, image);
  expectRefused(r, /FATAL: (caused by: )?\[ERR_MANIFEST_[A-Z_]+\]/);
});

test('the livecd path: boot media with an OCI store, root=soci:name=…,dev=LABEL=…,repo=local, verified and switched into', async () => {
  // Boot media as a distro builder makes them: our registry's store root, published into by
  // mosb, laid on an ext4 file system labelled OCI-BOOT under oci/.
  const media = b.w.dirs.make('mos-e2e-media-');
  const reg = await startOurRegistry();
  try {
    const yaml = join(media, 'livecd.yaml');
    writeFileSync(yaml, installYaml(b.w, 'livecd', { image: b.hostfsTag }));
    await runOk('mosb', ['manifest', 'publish', '--project', 'e2e:default', '--repo', reg.host, '--name', 'machine/livecd:1.0', '--skip-bootkit', yaml], { env: b.w.env });
    execFileSync('cp', ['-a', reg.root, join(media, 'tree')]);
  } finally {
    await reg.stop();
  }
  execFileSync('mkdir', ['-p', join(media, 'fs')]);
  execFileSync('mv', [join(media, 'tree'), join(media, 'fs', 'oci')]);
  const image = join(media, 'media.img');
  execFileSync('mke2fs', ['-q', '-t', 'ext4', '-L', 'OCI-BOOT', '-d', join(media, 'fs'), image, '128M']);
  // The initramfs straight from `mosb initrd build`, with the keyset's CA.
  const initrd = join(media, 'initrd.img');
  await runOk('mosb', ['initrd', 'build', '--ca', b.w.caPath, '--kernel', b.kernel.root, '--out', initrd]);
  const r = await bootQemu({
    kernel: b.kernel.vmlinuz,
    initrd,
    append: 'console=ttyS0 quiet panic=-1 root=soci:name=machine/livecd:1.0,dev=LABEL=OCI-BOOT,repo=local rd.mos.timeout=30',
    disks: [{ file: image, snapshot: true }],
    until: /MARK:hostfs-done/,
    logFile: `${image}.console.log`,
  });
  expect(r.log).toMatch(/mos-bringup: verified machine\/livecd:1.0 against \/manifestCA.pem; target livecd sha256:[0-9a-f]{64} imported/);
  expect(marks(r, 'hostfs-init')).toHaveLength(1);
  const mounts = marks(r, 'mount').map((l) => l.split(' '));
  const at = (mp: string) => mounts.filter((m) => m[1] === mp).pop();
  expect(at('/')?.[2]).toBe('overlay');
  for (const d of ['/config', '/atomfs-store', '/scratch-writes']) expect(at(d)?.[2]).toBe('tmpfs');
  const dm = marks(r, 'dm').map((l) => l.split(' '));
  expect(dm.map((d) => d[0]).sort()).toEqual(b.layers.map((l) => `${l}-verity`).sort());
  expect(dm.every((d) => d[2] === 'V')).toBe(true);
  expect(marks(r, 'read')).toEqual(['ok']);
});
