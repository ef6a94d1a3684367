// Parses IPv4/IPv6 literals in every form a resolver or URL may present, and names the range each lies in.
// The SSRF guard refuses everything but `public` (and `loopback` where the local config allows it).
//
// ipaddr.js does the parsing (the inet_aton IPv4 forms, IPv6 group expansion) and knows the special-purpose
// ranges (IANA's registries). What stays here is where the guard is stricter or more specific than the
// library: the IPv4 spellings the WHATWG URL parser also takes (a trailing dot, a bare `0x` part), a strict
// dotted quad inside IPv6 (ipaddr.js would read `::ffff:0177.0.0.1` as decimal 177), any zone suffix, the
// cloud metadata addresses, and the IPv6 forms that embed an IPv4 address, which take that address's class.
// Any special range the library names and this file does not map is refused (`reserved`): fail closed.
import ipaddr from 'ipaddr.js';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'multicast' | 'unspecified' | 'reserved' | 'invalid';

/**
 * IPv4 in the inet_aton forms browsers and libc accept: 1–4 dot-separated parts, each decimal, octal
 * (leading 0) or hex (0x); the last part fills the remaining bytes (`2130706433`, `0177.0.0.1`, `0x7f.1`).
 * Returns the address as an unsigned 32-bit number, or null when the text is not such a literal.
 */
export function parseIpv4(text: string): number | null {
  // A trailing dot is allowed, and a bare `0x` part is zero (as in the URL parser); ipaddr.js takes neither.
  const spelled = (text.endsWith('.') && text.length > 1 ? text.slice(0, -1) : text).replace(/(^|\.)0x(?=\.|$)/gi, '$10x0');
  if (!ipaddr.IPv4.isValid(spelled)) return null;
  return ipaddr.IPv4.parse(spelled)
    .toByteArray()
    .reduce((acc, byte) => acc * 256 + byte, 0);
}

/** IPv6 literal (brackets and a zone suffix tolerated) as eight 16-bit groups, or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  const after = s.slice(lastColon + 1);
  if (lastColon >= 0 && after.includes('.')) {
    // An embedded dotted quad (::ffff:127.0.0.1) becomes its two hex groups; only the strict form counts.
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(after) || after.split('.').some((p) => p.length > 1 && p.startsWith('0'))) return null;
    const v4 = parseIpv4(after);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  if (!/^[0-9a-fA-F:]+$/.test(s) || !ipaddr.IPv6.isValid(s)) return null;
  return ipaddr.IPv6.parse(s).parts;
}

const V4_CLASSES: Partial<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'unspecified',
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'private',
  linkLocal: 'link_local',
  multicast: 'multicast',
};

const V6_CLASSES: Partial<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'unspecified',
  loopback: 'loopback',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  linkLocal: 'link_local',
  multicast: 'multicast',
};

const cidr = (text: string): [ipaddr.IPv6, number] => ipaddr.IPv6.parseCIDR(text);
const V4_METADATA = ipaddr.IPv4.parse('169.254.169.254');
/** The AWS metadata service's IPv6 address. */
const V6_METADATA = ipaddr.IPv6.parse('fd00:ec2::254');
/** Unassigned (RFC 4291), not in ipaddr.js's table. */
const V6_UNASSIGNED = cidr('fe00::/9');
/** The deprecated IPv4-compatible form ::a.b.c.d (RFC 4291 §2.5.5.1). */
const V4_COMPATIBLE = cidr('::/96');
/** NAT64's well-known prefix (RFC 6052) embeds the IPv4 address in the last 32 bits. */
const NAT64_WELL_KNOWN = cidr('64:ff9b::/96');

function v4Class(address: ipaddr.IPv4): AddressClass {
  if (address.match(V4_METADATA, 32)) return 'metadata';
  return V4_CLASSES[address.range()] ?? 'reserved';
}

/** The class of the IPv4 address held in 32 bits of the groups, from group `at`. */
const embedded = (groups: readonly number[], at: number): AddressClass => classifyIpv4((groups[at] ?? 0) * 65536 + (groups[at + 1] ?? 0));

export function classifyIpv4(address: number): AddressClass {
  return v4Class(new ipaddr.IPv4([24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256)));
}

export function classifyIpv6(groups: readonly number[]): AddressClass {
  const address = new ipaddr.IPv6([...groups]);
  if (address.match(V6_METADATA, 128)) return 'metadata';
  const range: string = address.range();
  if (range === 'unspecified' || range === 'loopback') return V6_CLASSES[range] ?? 'reserved';
  // Forms that carry an IPv4 address (mapped, translated, compatible, NAT64, 6to4) are what that address is.
  if (range === 'ipv4Mapped' || range === 'rfc6145' || address.match(V4_COMPATIBLE) || address.match(NAT64_WELL_KNOWN)) return embedded(groups, 6);
  if (range === '6to4') return embedded(groups, 1);
  if (address.match(V6_UNASSIGNED)) return 'reserved';
  // Teredo (it can reach any IPv4 address), documentation, discard-only and the rest: refused.
  return V6_CLASSES[range] ?? 'reserved';
}

/** Classifies an IP literal; `invalid` when the text is not an address (e.g. a DNS name). */
export function classifyAddress(text: string): AddressClass {
  const v4 = parseIpv4(text);
  if (v4 !== null) return classifyIpv4(v4);
  const v6 = parseIpv6(text);
  if (v6 !== null) return classifyIpv6(v6);
  return 'invalid';
}

export function isIpLiteral(text: string): boolean {
  return parseIpv4(text) !== null || parseIpv6(text) !== null;
}
