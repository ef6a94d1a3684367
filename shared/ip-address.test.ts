// Ranges that ipaddr.js's special-purpose tables add to the guard's own (ssrf-guard.test.ts keeps the rest):
// each is refused, and forms that embed an IPv4 address take that address's class.
import { describe, expect, it } from 'vitest';
import { classifyAddress } from './ip-address.js';

describe('special-purpose ranges from ipaddr.js', () => {
  it.each([
    ['192.88.99.1', 'reserved'], // deprecated 6to4 relay anycast
    ['192.175.48.1', 'reserved'], // AS112 DNS sink
    ['192.52.193.1', 'reserved'], // AMT
    ['192.88.98.255', 'public'],
    ['192.88.100.0', 'public'],
    ['5f00::1', 'reserved'], // SRv6 segment identifiers
    ['2001:2::1', 'reserved'], // benchmarking
    ['3fff::1', 'reserved'], // documentation (RFC 9637)
    ['2001:4860:4860::8888', 'public'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('an IPv4-translated address (::ffff:0:a.b.c.d) is classified as its IPv4 address', () => {
    expect(classifyAddress('::ffff:0:7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:0:a9fe:a9fe')).toBe('metadata');
    expect(classifyAddress('::ffff:0:808:808')).toBe('public');
  });

  it('a local-use NAT64 prefix (64:ff9b:1::/48) is refused whatever it embeds', () => {
    expect(classifyAddress('64:ff9b:1::808:808')).toBe('reserved');
    expect(classifyAddress('64:ff9b::808:808')).toBe('public');
  });
});
