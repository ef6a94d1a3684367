// The address parser against the WHATWG URL parser (what fetch and the guard's URLs use) over generated
// addresses: every spelling of an address must parse to it and land in the same class.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, classifyIpv4, parseIpv4, parseIpv6 } from './ip-address.js';

const dotted = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

const part = (value: number, radix: 'dec' | 'hex' | 'oct'): string =>
  radix === 'dec' ? String(value) : radix === 'hex' ? `0x${value.toString(16)}` : `0${value.toString(8)}`;

const radix = fc.constantFrom<'dec' | 'hex' | 'oct'>('dec', 'hex', 'oct');

describe('IPv4 spellings', () => {
  it('every inet_aton spelling parses to the address the URL parser sees', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 4 }), fc.array(radix, { minLength: 4, maxLength: 4 }), (n, parts, radixes) => {
        const bytes = dotted(n).split('.').map(Number);
        const head = bytes.slice(0, parts - 1);
        const tail = bytes.slice(parts - 1).reduce((acc, b) => acc * 256 + b, 0);
        const spelling = [...head, tail].map((v, i) => part(v, radixes[i] ?? 'dec')).join('.');
        expect(parseIpv4(spelling)).toBe(n);
        expect(new URL(`https://${spelling}/`).hostname).toBe(dotted(n));
        expect(classifyAddress(spelling)).toBe(classifyIpv4(n));
      }),
      { numRuns: 2000 },
    );
  });

  it('an IPv4-mapped IPv6 address is classified as its IPv4 address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(classifyAddress(`::ffff:${dotted(n)}`)).toBe(classifyIpv4(n));
        const hex = `::ffff:${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
        expect(classifyAddress(hex)).toBe(classifyIpv4(n));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('IPv6 spellings', () => {
  it('the URL parser’s canonical form parses back to the same groups', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16)).join(':');
        expect(parseIpv6(full)).toEqual(groups);
        const canonical = new URL(`https://[${full}]/`).hostname;
        expect(parseIpv6(canonical)).toEqual(groups);
        expect(classifyAddress(canonical)).toBe(classifyAddress(full));
      }),
      { numRuns: 2000 },
    );
  });
});
