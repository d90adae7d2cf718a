import { parseCmdline, splitCmdline } from '@mos/bringup';

describe('splitCmdline', () => {
  it('splits on spaces and keeps quoted words whole, quotes removed', () => {
    expect(splitCmdline(' console=ttyS0  quiet a="b c" "d"\n')).toEqual(['console=ttyS0', 'quiet', 'a=b c', 'd']);
    expect(splitCmdline('')).toEqual([]);
  });
});

describe('parseCmdline', () => {
  it('reads an installed system (mos-original §2.11)', () => {
    expect(parseCmdline('root=soci:name=mosboot,repo=local console=tty0 console=ttyS0,115200n8')).toEqual({
      root: { name: 'mosboot', repo: 'local', path: 'oci' },
      debug: false,
      deviceTimeoutMs: 60_000,
      bootTries: 3,
      init: '/sbin/init',
    });
  });
  it('reads boot media: dev values keep their own "=", path and repo', () => {
    expect(parseCmdline('root=soci:name=machine/livecd:1.0,dev=LABEL=OCI-BOOT,path=oci2,repo=127.0.0.1:5000 rd.soci-debug rd.mos.timeout=5')).toEqual({
      root: { name: 'machine/livecd:1.0', dev: 'LABEL=OCI-BOOT', path: 'oci2', repo: '127.0.0.1:5000' },
      debug: true,
      deviceTimeoutMs: 5000,
      bootTries: 3,
      init: '/sbin/init',
    });
  });
  it('reads rd.mos.boot-tries (the last one) and refuses what is not 1..99', () => {
    expect(parseCmdline('root=soci:name=mosboot rd.mos.boot-tries=5 rd.mos.boot-tries=2').bootTries).toBe(2);
    for (const v of ['0', '-1', 'x', '100', '']) expect(() => parseCmdline(`root=soci:name=mosboot rd.mos.boot-tries=${v}`)).toThrow(/rd\.mos\.boot-tries=.* is not a number of boots/);
  });
  it('takes the last root=, as the kernel does', () => {
    expect(parseCmdline('root=/dev/sda1 root=soci:name=mosboot').root.name).toBe('mosboot');
  });
  it('honours init= (the last one), for the new root', () => {
    expect(parseCmdline('root=soci:name=mosboot init=/bin/sh').init).toBe('/bin/sh');
    expect(parseCmdline('init=/bin/sh root=soci:name=mosboot init=/usr/lib/systemd/systemd').init).toBe('/usr/lib/systemd/systemd');
  });
  it.each([
    ['console=ttyS0', /no root=soci/],
    ['root=/dev/vda1', /not a soci: root/],
    ['root=soci:', /not key=value/],
    ['root=soci:dev=/dev/vda', /needs name=/],
    ['root=soci:name=mosboot,colour=blue', /unknown key "colour"/],
    ['root=soci:name=a,name=b', /given twice/],
    ['root=soci:name=', /empty name=/],
    ['root=soci:name=x,path=../etc', /relative directory/],
    ['root=soci:name=x,path=/abs', /relative directory/],
    ['root=soci:name=mosboot rd.mos.timeout=soon', /not a number of seconds/],
    ['root=soci:name=mosboot init=sbin/init', /init=sbin\/init must be an absolute path/],
    ['root=soci:name=mosboot init=/sbin/../bin/sh', /no \.\./],
    ['root=soci:name=mosboot init=/bin/sh;reboot', /must be an absolute path/],
  ])('refuses %j with a clear error', (line, why) => {
    expect(() => parseCmdline(line)).toThrow(expect.objectContaining({ code: 'ERR_BRINGUP_CMDLINE', message: expect.stringMatching(why) }));
  });
});
