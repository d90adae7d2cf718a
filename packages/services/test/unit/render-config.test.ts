import { lxcCommandLine, renderLxcConfig, renderSystemdUnit, splitLxcCommandLine, type LxcConfigInput } from '@mos/services';

const base: LxcConfigInput = {
  name: 'web',
  rootfs: '/r/scratch-writes/roots/web',
  network: { type: 'host' },
  command: ['/bin/httpd', '-f', '-p', '80'],
  env: [],
  logFile: '/r/var/log/lxc/web.log',
  logLevel: 'INFO',
  mounts: [],
};

describe('renderLxcConfig', () => {
  test('host network, no nsgroup: the original lines in the original order, plus console off', () => {
    expect(renderLxcConfig(base)).toBe(
      [
        'lxc.rootfs.path = dir:/r/scratch-writes/roots/web',
        'lxc.net.0.type = none',
        'lxc.uts.name = web',
        'lxc.execute.cmd = /bin/httpd -f -p 80',
        'lxc.mount.auto = proc:mixed',
        'lxc.log.level = INFO',
        'lxc.apparmor.profile = unchanged',
        'lxc.log.file = /r/var/log/lxc/web.log',
        'lxc.console.path = none',
        'lxc.environment = HOME=/root',
        '',
      ].join('\n'),
    );
  });

  test.each([
    [{ type: 'host' } as const, ['lxc.net.0.type = none']],
    [{ type: 'none' } as const, ['lxc.net.0.type = empty']],
    [
      { type: 'simple', bridge: 'lxcbr0', ipv4: '10.0.3.5/24', gateway: '10.0.3.1' } as const,
      ['lxc.net.0.type = veth', 'lxc.net.0.link = lxcbr0', 'lxc.net.0.flags = up', 'lxc.net.0.hwaddr = 00:16:3e:00:03:05', 'lxc.net.0.ipv4.address = 10.0.3.5/24', 'lxc.net.0.ipv4.gateway = 10.0.3.1', 'lxc.environment = IPV4=10.0.3.5/24'],
    ],
    [
      { type: 'simple', bridge: 'br9', ipv6: 'fd00::5/64' } as const,
      ['lxc.net.0.type = veth', 'lxc.net.0.link = br9', 'lxc.net.0.flags = up', 'lxc.net.0.hwaddr = 00:16:3e:xx:xx:xx', 'lxc.net.0.ipv6.address = fd00::5/64', 'lxc.environment = IPV6=fd00::5/64'],
    ],
  ])('network %j renders its lines between rootfs and uts', (network, lines) => {
    const out = renderLxcConfig({ ...base, network }).split('\n');
    expect(out.slice(1, 1 + lines.length)).toEqual(lines);
    expect(out[1 + lines.length]).toBe('lxc.uts.name = web');
  });

  test('nsgroup: idmap lines first; an idmapped rootfs asks lxc for it', () => {
    const out = renderLxcConfig({ ...base, idmap: { hostid: 165536, size: 65536 }, idmappedRootfs: true }).split('\n');
    expect(out.slice(0, 4)).toEqual(['lxc.idmap = u 0 165536 65536', 'lxc.idmap = g 0 165536 65536', 'lxc.rootfs.path = dir:/r/scratch-writes/roots/web', 'lxc.rootfs.options = idmap=container']);
    expect(renderLxcConfig({ ...base, idmappedRootfs: true })).not.toContain('idmap');
  });

  test('image env after HOME, working dir, storage binds relative to the root, escaped like fstab', () => {
    const out = renderLxcConfig({
      ...base,
      env: ['PATH=/usr/bin:/bin', 'GREETING=hello world'],
      workingDir: '/srv',
      mounts: [
        { source: '/r/storage/data', dest: '/var/lib/data', kind: 'dir' },
        { source: '/r/storage/odd', dest: '/with space', kind: 'dir' },
      ],
    });
    expect(out).toContain('lxc.init.cwd = /srv\n');
    expect(out).toContain('lxc.environment = HOME=/root\nlxc.environment = PATH=/usr/bin:/bin\nlxc.environment = GREETING=hello world\n');
    expect(out).toContain('lxc.mount.entry = /r/storage/data var/lib/data none bind,create=dir 0 0\n');
    expect(out).toContain('lxc.mount.entry = /r/storage/odd with\\040space none bind,create=dir 0 0\n');
  });

  test.each([
    ['an env entry with a line break', { env: ['A=1\nlxc.hook.pre-start = /evil'] }],
    ['an env entry that is not KEY=VALUE', { env: ['JUSTTEXT'] }],
    ['a working dir with a line break', { workingDir: '/x\nlxc.cap.drop =' }],
    ['a command word with a line break', { command: ['/bin/sh', '-c', 'a\nb'] }],
    ['an empty command', { command: [] }],
  ])('refuses %s (no config line can be injected)', (_what, over) => {
    expect(() => renderLxcConfig({ ...base, ...over })).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
  });
});

describe('lxcCommandLine (lxc 5 splits at whitespace; quoted words run to the same quote, no escapes)', () => {
  test.each([
    [['/bin/httpd', '-f'], '/bin/httpd -f'],
    [['/bin/sh', '-c', 'echo hi'], '/bin/sh -c "echo hi"'],
    [['/x', ''], '/x ""'],
    [['/x', 'say "hi" now'], `/x 'say "hi" now'`],
    [['/x', "don't"], "/x don't"],
    [['/x', '"quoted'], `/x '"quoted'`],
    [['/x', 'a"b'], '/x a"b'],
  ])('%j → %s and back', (argv, line) => {
    expect(lxcCommandLine(argv)).toBe(line);
    expect(splitLxcCommandLine(line)).toEqual(argv);
  });

  test('a word with whitespace and both quote kinds cannot be carried', () => {
    expect(() => lxcCommandLine(['/x', `it's "odd" here`])).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
  });
});

describe('renderSystemdUnit', () => {
  test('Restart=on-failure around lxc-execute of the mos lxcpath, as the original', () => {
    const u = renderSystemdUnit({ name: 'web', lxcPath: '/var/lib/lxc' });
    expect(u).toContain('[Service]\nRestart=on-failure\nRestartSec=1\nExecStart=/usr/bin/lxc-execute -P /var/lib/lxc -n web\nExecStop=/usr/bin/lxc-stop -P /var/lib/lxc -n web\n');
    expect(u).toContain('[Install]\nWantedBy=multi-user.target\n');
    expect(renderSystemdUnit({ name: 'web', lxcPath: '/l', netns: 'ns1' })).toContain('ExecStart=/usr/sbin/ip netns exec ns1 /usr/bin/lxc-execute -P /l -n web');
  });
});
