// The livecd path's refusals over a fake machine: each is decided before anything is fetched.
import { bootLive, parseCmdline } from '@mos/bringup';
import { FakeBootSys } from '../helpers/fake-boot-sys';

const live = (line: string, sys = new FakeBootSys()) => bootLive({ sys, cmdline: parseCmdline(line), log: () => undefined });

describe('bootLive', () => {
  it('needs a boot medium or a registry, and says so before mounting anything', async () => {
    const sys = new FakeBootSys();
    await expect(live('root=soci:name=machine/livecd:1.0', sys)).rejects.toMatchObject({ code: 'ERR_BRINGUP_CMDLINE', message: expect.stringContaining('needs dev=') });
    await expect(live('root=soci:name=x,repo=local', sys)).rejects.toMatchObject({ code: 'ERR_BRINGUP_CMDLINE', message: expect.stringContaining('repo=local needs dev=') });
    expect(sys.calls).toEqual([]);
  });

  it('refuses dev=ID= (no udev links in this initrd) after the tmpfs roots, before any device is touched', async () => {
    const sys = new FakeBootSys();
    await expect(live('root=soci:name=x,dev=ID=usb-stick', sys)).rejects.toMatchObject({ code: 'ERR_BRINGUP_CMDLINE', message: expect.stringContaining('ID= needs udev') });
    expect(sys.calls.every((c) => c.startsWith('mount tmpfs mos-livecd'))).toBe(true);
  });

  it('waits for a labelled medium that never comes, then gives up naming it', async () => {
    const sys = new FakeBootSys();
    await expect(live('root=soci:name=x,dev=LABEL=OCI-BOOT rd.mos.timeout=2', sys)).rejects.toMatchObject({
      code: 'ERR_BRINGUP_DEVICE_TIMEOUT',
      message: expect.stringContaining('boot device LABEL=OCI-BOOT did not appear within 2 s'),
    });
    expect(sys.calls.filter((c) => c === 'run findfs LABEL=OCI-BOOT').length).toBeGreaterThan(1);
  });

  it('refuses a medium without an OCI store at path/', async () => {
    const sys = new FakeBootSys();
    sys.answers.set('findfs', '/dev/sr0\n');
    await expect(live('root=soci:name=x,dev=LABEL=OCI-BOOT,path=images', sys)).rejects.toMatchObject({ code: 'ERR_BRINGUP_TARGET_NOT_FOUND', message: expect.stringContaining('no OCI store at images/') });
    expect(sys.calls).toContain('mount ext4 /dev/sr0 /run/mos/bootdev ro,nodev,nosuid,noexec');
  });
});
