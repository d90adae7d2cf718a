import { emptyTable, planLease, type NetworkTable } from '@mos/services';

const bridge = { address: '10.0.3.1', prefix: 24 };
const req = (over: Partial<{ ipv4: string; ipv6: string; ports: { host: number; container: number }[] }> = {}) => ({ ipv4: '', ipv6: '', ports: [], ...over });
const table = (leases: NetworkTable['leases']): NetworkTable => ({ version: 1, leases });

describe('planLease', () => {
  test('no address asked: the first free one from .3 (the original pool), kept for the service later', () => {
    expect(planLease(emptyTable(), 'a', req(), bridge)).toEqual({ ipv4: '10.0.3.3/24', auto: true, ports: [] });
    const t = table({ a: { ipv4: '10.0.3.3/24', auto: true, ports: [] }, b: { ipv4: '10.0.3.4', ports: [] } });
    expect(planLease(t, 'c', req(), bridge).ipv4).toBe('10.0.3.5/24');
    // a service that held an automatic address gets it back even if a lower one is free now
    expect(planLease(table({ a: { ipv4: '10.0.3.9/24', auto: true, ports: [] } }), 'a', req(), bridge).ipv4).toBe('10.0.3.9/24');
  });

  test('an automatic address skips addresses other targets ask for, so activation order cannot matter', () => {
    expect(planLease(emptyTable(), 'a', req(), bridge, ['10.0.3.3/24', '10.0.3.4']).ipv4).toBe('10.0.3.5/24');
    // a kept automatic address that is now asked for by another target is given up
    expect(planLease(table({ a: { ipv4: '10.0.3.3/24', auto: true, ports: [] } }), 'a', req(), bridge, ['10.0.3.3/24']).ipv4).toBe('10.0.3.4/24');
  });

  test('an asked address is used (the bridge prefix when none is given); its own old lease does not conflict', () => {
    expect(planLease(emptyTable(), 'a', req({ ipv4: '10.0.3.99/24' }), bridge)).toEqual({ ipv4: '10.0.3.99/24', ports: [] });
    expect(planLease(emptyTable(), 'a', req({ ipv4: '10.0.3.99' }), bridge).ipv4).toBe('10.0.3.99/24');
    expect(planLease(table({ a: { ipv4: '10.0.3.99/24', ports: [] } }), 'a', req({ ipv4: '10.0.3.99/24' }), bridge).ipv4).toBe('10.0.3.99/24');
  });

  test('an address another service holds is refused, naming the holder', () => {
    const t = table({ db: { ipv4: '10.0.3.99/24', ports: [] } });
    expect(() => planLease(t, 'web', req({ ipv4: '10.0.3.99' }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_ADDRESS_IN_USE', details: expect.objectContaining({ holder: 'db', address: '10.0.3.99' }) }));
    expect(() => planLease(emptyTable(), 'web', req({ ipv4: '10.0.3.1/24' }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_ADDRESS_IN_USE', details: expect.objectContaining({ holder: 'the bridge' }) }));
    const t6 = table({ db: { ipv6: 'fd00::9/64', ports: [] } });
    expect(() => planLease(t6, 'web', req({ ipv6: 'fd00::9/64' }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_ADDRESS_IN_USE' }));
  });

  test('a host port another service forwards is refused, naming the holder; so is one port twice', () => {
    const t = table({ db: { ipv4: '10.0.3.3/24', ports: [{ host: 8080, container: 80 }] } });
    expect(() => planLease(t, 'web', req({ ports: [{ host: 8080, container: 80 }] }), bridge)).toThrow(
      expect.objectContaining({ code: 'ERR_SERVICES_PORT_IN_USE', details: expect.objectContaining({ holder: 'db', port: 8080 }) }),
    );
    expect(() => planLease(emptyTable(), 'web', req({ ports: [{ host: 81, container: 80 }, { host: 81, container: 90 }] }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_PORT_IN_USE' }));
    expect(planLease(t, 'web', req({ ports: [{ host: 8081, container: 80 }] }), bridge).ports).toEqual([{ host: 8081, container: 80 }]);
  });

  test('a full network is an error; bad addresses are invalid input', () => {
    const tiny = { address: '10.9.0.1', prefix: 29 }; // hosts .1-.6; the pool is .3-.6
    const t = table(Object.fromEntries([3, 4, 5, 6].map((n) => [`s${n}`, { ipv4: `10.9.0.${n}`, ports: [] }])));
    expect(() => planLease(t, 'x', req(), tiny)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_NO_ADDRESSES' }));
    expect(() => planLease(emptyTable(), 'x', req({ ipv4: '10.0.3.300' }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
    expect(() => planLease(emptyTable(), 'x', req({ ipv6: 'nope' }), bridge)).toThrow(expect.objectContaining({ code: 'ERR_SERVICES_INVALID' }));
  });
});
