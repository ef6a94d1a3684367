// Parses IPv4/IPv6 literals in every form a resolver or URL may present, and names the range each lies in.
// The SSRF guard refuses everything but `public` (and `loopback` where the local config allows it).

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

/**
 * IPv4 in the inet_aton forms browsers and libc accept: 1–4 dot-separated parts, each decimal, octal
 * (leading 0) or hex (0x); the last part fills the remaining bytes (`2130706433`, `0177.0.0.1`, `0x7f.1`).
 * Returns the address as an unsigned 32-bit number, or null when the text is not such a literal.
 */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing dot is allowed
  if (parts.length < 1 || parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = parseInt(part, 10);
    else return null;
    if (!Number.isFinite(value)) return null;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  let result = 0;
  for (const [i, value] of values.entries()) {
    if (value > 255) return null;
    result += value * 2 ** (8 * (3 - i));
  }
  if (last >= 2 ** (8 * (4 - values.length))) return null;
  return result + last;
}

/** IPv6 literal (brackets and a zone suffix tolerated) as eight 16-bit groups, or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;

  const lastColon = s.lastIndexOf(':');
  const after = s.slice(lastColon + 1);
  if (after.includes('.')) {
    // An embedded dotted quad (::ffff:127.0.0.1) becomes its two hex groups; only the strict form counts.
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(after) || after.split('.').some((p) => p.length > 1 && p.startsWith('0'))) return null;
    const v4 = parseIpv4(after);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }

  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (chunk: string): number[] | null => {
    if (chunk === '') return [];
    const groups: number[] = [];
    for (const g of chunk.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 2) {
    if (explicit > 7) return null;
    return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  }
  return explicit === 8 ? head : null;
}

const inV4 = (address: number, base: string, bits: number): boolean => {
  const b = parseIpv4(base) ?? 0;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(b / size);
};

export function classifyIpv4(address: number): AddressClass {
  if (address === (parseIpv4('169.254.169.254') ?? -1)) return 'metadata';
  if (inV4(address, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(address, '127.0.0.0', 8)) return 'loopback';
  if (inV4(address, '10.0.0.0', 8) || inV4(address, '172.16.0.0', 12) || inV4(address, '192.168.0.0', 16)) return 'private';
  if (inV4(address, '100.64.0.0', 10)) return 'private'; // carrier-grade NAT
  if (inV4(address, '169.254.0.0', 16)) return 'link_local';
  if (inV4(address, '224.0.0.0', 4)) return 'multicast';
  if (
    inV4(address, '192.0.0.0', 24) || // IETF protocol assignments
    inV4(address, '192.0.2.0', 24) ||
    inV4(address, '198.51.100.0', 24) ||
    inV4(address, '203.0.113.0', 24) || // documentation
    inV4(address, '198.18.0.0', 15) || // benchmarking
    inV4(address, '240.0.0.0', 4) // reserved, and the broadcast address
  ) {
    return 'reserved';
  }
  return 'public';
}

export function classifyIpv6(groups: readonly number[]): AddressClass {
  const g = (i: number): number => groups[i] ?? 0;
  const v4At = (i: number): number => g(i) * 65536 + g(i + 1);
  const zeroUpTo = (n: number): boolean => groups.slice(0, n).every((x) => x === 0);
  // The AWS metadata service's IPv6 address, fd00:ec2::254.
  if (g(0) === 0xfd00 && g(1) === 0x0ec2 && groups.slice(2, 7).every((x) => x === 0) && g(7) === 0x254) {
    return 'metadata';
  }
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g(7) === 1) return 'loopback';
  if (zeroUpTo(5) && g(5) === 0xffff) return classifyIpv4(v4At(6)); // IPv4-mapped ::ffff:a.b.c.d
  if (zeroUpTo(6)) return classifyIpv4(v4At(6)); // deprecated IPv4-compatible ::a.b.c.d
  if (g(0) === 0x64 && g(1) === 0xff9b && groups.slice(2, 6).every((x) => x === 0)) return classifyIpv4(v4At(6)); // NAT64
  if (g(0) === 0x2002) return classifyIpv4(v4At(1)); // 6to4 embeds an IPv4 address
  if ((g(0) & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((g(0) & 0xffc0) === 0xfe80) return 'link_local';
  if ((g(0) & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g(0) & 0xff80) === 0xfe00) return 'reserved'; // fe00::/9, unassigned
  if ((g(0) & 0xff00) === 0xff00) return 'multicast';
  if (g(0) === 0x2001 && g(1) === 0x0db8) return 'reserved'; // documentation
  if (g(0) === 0x2001 && g(1) === 0) return 'reserved'; // Teredo tunnels can reach arbitrary IPv4
  if (g(0) === 0x0100 && groups.slice(1, 4).every((x) => x === 0)) return 'reserved'; // discard-only
  return 'public';
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
