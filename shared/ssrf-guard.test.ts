import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIpv4, parseIpv6 } from './ip-address.js';
import { createSsrfGuard, type Resolver } from './ssrf-guard.js';

// A fake DNS: names map to fixed answers, anything else fails. No test here performs a real lookup.
const fakeDns =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const answer = table[hostname];
    if (!answer) throw new Error(`ENOTFOUND ${hostname}`);
    return answer;
  };

const dns = fakeDns({
  'public.example': ['93.184.215.14'],
  'dual.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebind.example': ['127.0.0.1'],
  'mixed.example': ['93.184.215.14', '10.0.0.7'],
  'metadata.example': ['169.254.169.254'],
  'v6loop.example': ['::1'],
  'empty.example': [],
});

describe('SSRF guard decisions (production config)', () => {
  const guard = createSsrfGuard({ resolve: dns });

  const refused: [string, string][] = [
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://127.1.2.3/', 'loopback'],
    ['https://localhost/', 'loopback'],
    ['https://api.localhost/', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://169.254.1.1/', 'link_local'],
    ['https://10.0.0.1/', 'private'],
    ['https://10.255.255.255/', 'private'],
    ['https://172.16.0.1/', 'private'],
    ['https://172.31.255.254/', 'private'],
    ['https://192.168.1.1/', 'private'],
    ['https://100.64.0.1/', 'private'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://224.0.0.1/', 'multicast'],
    ['https://255.255.255.255/', 'reserved'],
    ['https://[::1]/', 'loopback'],
    ['https://[::]/', 'unspecified'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[::ffff:7f00:1]/', 'loopback'],
    ['https://[::ffff:169.254.169.254]/', 'metadata'],
    ['https://[fc00::1]/', 'private'],
    ['https://[fdff:ffff::1]/', 'private'],
    ['https://[fd00:ec2::254]/', 'metadata'],
    ['https://[fe80::1]/', 'link_local'],
    ['https://[ff02::1]/', 'multicast'],
    ['https://[64:ff9b::a00:1]/', 'private'],
    ['https://[2002:7f00:1::]/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://0177.0.0.1/', 'loopback'],
    ['https://0x7f000001/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://017700000001/', 'loopback'],
    ['https://0xa9fea9fe/', 'metadata'],
    ['https://rebind.example/', 'loopback'],
    ['https://metadata.example/', 'metadata'],
    ['https://mixed.example/', 'private'],
    ['https://v6loop.example/', 'loopback'],
  ];

  it.each(refused)('refuses %s (%s)', async (url, cls) => {
    const decision = await guard.check(url);
    expect(decision).toMatchObject({ allowed: false, code: 'address_not_allowed', addressClass: cls });
  });

  it('allows a public https URL, returning the addresses to dial (decision only, no connection)', async () => {
    const decision = await guard.check('https://public.example/hooks?x=1');
    expect(decision).toMatchObject({ allowed: true, addresses: ['93.184.215.14'] });
    expect(await guard.check('https://dual.example/')).toMatchObject({
      allowed: true,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    expect(await guard.check('https://172.32.0.1/')).toMatchObject({ allowed: true });
    expect(await guard.check('https://100.128.0.1/')).toMatchObject({ allowed: true });
    expect(await guard.check('https://[2606:4700::1111]/')).toMatchObject({ allowed: true });
  });

  it('refuses http, credentials, unresolvable names and garbage', async () => {
    expect(await guard.check('http://public.example/')).toMatchObject({ allowed: false, code: 'scheme_not_allowed' });
    expect(await guard.check('http://127.0.0.1/')).toMatchObject({ allowed: false, code: 'scheme_not_allowed' });
    expect(await guard.check('ftp://public.example/')).toMatchObject({ allowed: false, code: 'scheme_not_allowed' });
    expect(await guard.check('file:///etc/passwd')).toMatchObject({ allowed: false, code: 'scheme_not_allowed' });
    expect(await guard.check('https://user:pw@public.example/')).toMatchObject({ allowed: false, code: 'credentials_in_url' });
    expect(await guard.check('https://nowhere.example/')).toMatchObject({ allowed: false, code: 'dns_failed' });
    expect(await guard.check('https://empty.example/')).toMatchObject({ allowed: false, code: 'no_address' });
    expect(await guard.check('not a url')).toMatchObject({ allowed: false, code: 'invalid_url' });
  });
});

describe('SSRF guard decisions (local config: loopback allowed)', () => {
  const guard = createSsrfGuard({ resolve: dns, allowLoopback: true });

  it('allows loopback over http and https, and nothing else private', async () => {
    expect(await guard.check('http://127.0.0.1:8080/hook')).toMatchObject({ allowed: true, addresses: ['127.0.0.1'] });
    expect(await guard.check('http://[::1]:9/')).toMatchObject({ allowed: true, addresses: ['::1'] });
    expect(await guard.check('https://rebind.example/')).toMatchObject({ allowed: true });
    expect(await guard.check('http://10.0.0.1/')).toMatchObject({ allowed: false, code: 'address_not_allowed' });
    expect(await guard.check('https://169.254.169.254/')).toMatchObject({ allowed: false, addressClass: 'metadata' });
    expect(await guard.check('https://[fd00:ec2::254]/')).toMatchObject({ allowed: false, addressClass: 'metadata' });
  });

  it('still refuses plain http to public hosts', async () => {
    expect(await guard.check('http://public.example/')).toMatchObject({ allowed: false, code: 'scheme_not_allowed' });
    expect(await guard.check('https://public.example/')).toMatchObject({ allowed: true });
  });
});

describe('address parsing', () => {
  it('parses every inet_aton IPv4 form and rejects out-of-range parts', () => {
    expect(parseIpv4('127.0.0.1')).toBe(2130706433);
    expect(parseIpv4('2130706433')).toBe(2130706433);
    expect(parseIpv4('0177.0.0.1')).toBe(2130706433);
    expect(parseIpv4('0x7f.0.0.1')).toBe(2130706433);
    expect(parseIpv4('0x7f.1')).toBe(2130706433);
    expect(parseIpv4('127.1')).toBe(2130706433);
    expect(parseIpv4('10.1.65535')).toBe(167903231);
    expect(parseIpv4('1.2.3.4.')).toBe(16909060);
    expect(parseIpv4('1.2.3.256')).toBeNull();
    expect(parseIpv4('4294967296')).toBeNull();
    expect(parseIpv4('08.0.0.1')).toBeNull();
    expect(parseIpv4('1.2.3.4.5')).toBeNull();
    expect(parseIpv4('example.com')).toBeNull();
    expect(parseIpv4('')).toBeNull();
  });

  it('parses IPv6 with compression, embedded IPv4, brackets and zones', () => {
    expect(parseIpv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6('[::ffff:127.0.0.1]')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6('1::2:3')).toEqual([1, 0, 0, 0, 0, 0, 2, 3]);
    expect(parseIpv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIpv6('1::2::3')).toBeNull();
    expect(parseIpv6('::ffff:0177.0.0.1')).toBeNull();
    expect(parseIpv6('12345::')).toBeNull();
    expect(parseIpv6('127.0.0.1')).toBeNull();
  });

  it('classifies range boundaries exactly', () => {
    expect(classifyAddress('172.15.255.255')).toBe('public');
    expect(classifyAddress('172.16.0.0')).toBe('private');
    expect(classifyAddress('172.31.255.255')).toBe('private');
    expect(classifyAddress('172.32.0.0')).toBe('public');
    expect(classifyAddress('100.63.255.255')).toBe('public');
    expect(classifyAddress('100.127.255.255')).toBe('private');
    expect(classifyAddress('11.0.0.0')).toBe('public');
    expect(classifyAddress('fbff::1')).toBe('public');
    expect(classifyAddress('fdff::1')).toBe('private');
    expect(classifyAddress('fe00::1')).toBe('reserved');
    expect(classifyAddress('febf::1')).toBe('link_local');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
    expect(classifyAddress('example.com')).toBe('invalid');
  });
});
