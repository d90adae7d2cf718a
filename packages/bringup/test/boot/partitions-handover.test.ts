// The boot flow's decisions over a fake BootSys (no root, no disks): which partitions, how
// long it waits, what it moves, and that a missing init stops the handover before any move.
import { findPartitions, handOver, tracedBootSys, waitForPartitions, type BlockDevice, type Handover } from '@mos/bringup';
import { FakeBootSys } from '../helpers/fake-boot-sys';

const dev = (name: string, partname?: string): BlockDevice => ({ name, path: `/dev/${name}`, ...(partname ? { partname } : {}) });

describe('partitions by GPT name', () => {
  it('finds each name once and refuses a name found on two disks', () => {
    const devs = [dev('vda'), dev('vda2', 'machine-config'), dev('vda3', 'machine-store'), dev('sda2', 'other')];
    expect([...findPartitions(devs, ['machine-config', 'machine-store', 'esp']).entries()].map(([k, v]) => [k, v.path])).toEqual([
      ['machine-config', '/dev/vda2'],
      ['machine-store', '/dev/vda3'],
    ]);
    expect(() => findPartitions([...devs, dev('sdb2', 'machine-config')], ['machine-config'])).toThrow(/two partitions are named machine-config \(\/dev\/vda2, \/dev\/sdb2\)/);
  });

  it('waits for disks that appear late, and gives up naming what never came', async () => {
    const sys = new FakeBootSys();
    const log: string[] = [];
    const late = waitForPartitions(sys, ['machine-config'], { timeoutMs: 10_000, log: (s) => log.push(s) });
    sys.devices = [dev('vda1', 'machine-config')];
    await expect(late).resolves.toBeInstanceOf(Map);

    const never = new FakeBootSys();
    await expect(waitForPartitions(never, ['machine-config', 'machine-store'], { timeoutMs: 10_000, log: (s) => log.push(s) })).rejects.toMatchObject({
      code: 'ERR_BRINGUP_DEVICE_TIMEOUT',
      message: expect.stringContaining('no partition named machine-config, machine-store appeared within 10 s'),
    });
    expect(log.some((l) => l.startsWith('waiting for partition(s) machine-config, machine-store'))).toBe(true);
  });
});

describe('handOver', () => {
  const h = { newRoot: '/sysroot', init: '/sbin/init', moves: [['/config', '/sysroot/config'], ['/scratch-writes', '/sysroot/scratch-writes']] } as unknown as Handover;

  it('puts the initrd CA on a tmpfs, moves the partitions, writes the switch-root line, moves the API file systems last', async () => {
    const sys = new FakeBootSys();
    sys.files.add('/sysroot/sbin/init');
    await handOver(sys, h, { ca: '/manifestCA.pem', log: () => undefined });
    expect(sys.calls).toEqual([
      'mount tmpfs mos-factory /sysroot/factory mode=0755,nodev,nosuid,noexec,size=1m',
      'copy /manifestCA.pem /sysroot/factory/secure/manifestCA.pem',
      'move /config /sysroot/config',
      'move /scratch-writes /sysroot/scratch-writes',
      'write /etc/mos/switch-root /sysroot /sbin/init',
      'move /dev /sysroot/dev',
      'move /proc /sysroot/proc',
      'move /sys /sysroot/sys',
      'move /run /sysroot/run',
    ]);
  });

  it("for a distro's init: the CA, the partitions and the API mount points, but no switch-root line and no API moves (that init does those)", async () => {
    const sys = new FakeBootSys();
    sys.files.add('/sysroot/sbin/init');
    await handOver(sys, h, { ca: '/manifestCA.pem', log: () => undefined, style: 'distro' });
    expect(sys.calls).toEqual([
      'mount tmpfs mos-factory /sysroot/factory mode=0755,nodev,nosuid,noexec,size=1m',
      'copy /manifestCA.pem /sysroot/factory/secure/manifestCA.pem',
      'move /config /sysroot/config',
      'move /scratch-writes /sysroot/scratch-writes',
    ]);
    expect(['/sysroot/dev', '/sysroot/proc', '/sysroot/sys', '/sysroot/run'].every((d) => sys.files.has(d))).toBe(true);
  });

  it('refuses a root without an init before touching anything', async () => {
    const sys = new FakeBootSys();
    await expect(handOver(sys, h, { ca: '/manifestCA.pem', log: () => undefined })).rejects.toMatchObject({ code: 'ERR_BRINGUP_NO_INIT' });
    expect(sys.calls).toEqual([]);
  });
});

describe('rd.soci-debug tracing', () => {
  it('logs each effect with its duration, and a failure with what failed, passing results through', async () => {
    const fake = new FakeBootSys();
    fake.answers.set('ip', 'link up');
    const log: string[] = [];
    const sys = tracedBootSys(fake, (s) => log.push(s));
    await sys.mount({ fstype: 'ext4', source: '/dev/vda2', target: '/config', options: 'ro' });
    expect(await sys.run('ip', ['link'])).toBe('link up');
    fake.moveMount = async () => {
      throw new Error('EINVAL');
    };
    await expect(sys.moveMount('/config', '/sysroot/config')).rejects.toThrow('EINVAL');
    expect(log).toEqual(['debug: mount -t ext4 -o ro /dev/vda2 /config (0 ms)', 'debug: ip link (0 ms)', 'debug: mount --move /config /sysroot/config failed after 0 ms: EINVAL']);
    expect(fake.calls).toEqual(['mount ext4 /dev/vda2 /config ro', 'run ip link']);
  });
});
