// Decides whether the platform may open a connection to a customer-supplied URL (webhooks, image URLs).
// Edge-clean: DNS comes from an injected resolver (shared/ssrf-node.ts has the Node one), so the decision
// logic is the same everywhere and tests never need a real lookup.
import { errorText } from './error-text.js';
import { classifyAddress, isIpLiteral, type AddressClass } from './ip-address.js';

/** All addresses a host name resolves to (A and AAAA); rejects when the name does not resolve. */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface SsrfGuardOptions {
  resolve: Resolver;
  /** Local configuration only: permits loopback targets, and plain http to them (and only to them). */
  allowLoopback?: boolean;
}

export type SsrfRefusal = 'invalid_url' | 'scheme_not_allowed' | 'credentials_in_url' | 'dns_failed' | 'no_address' | 'address_not_allowed';

export type UrlDecision = { allowed: true; url: URL; addresses: string[] } | { allowed: false; code: SsrfRefusal; reason: string; addressClass?: AddressClass };

export interface SsrfGuard {
  check(url: string | URL): Promise<UrlDecision>;
}

export class SsrfRefusedError extends Error {
  readonly code: SsrfRefusal;
  readonly url: string;
  constructor(url: string, decision: { code: SsrfRefusal; reason: string }) {
    super(`refused to fetch ${url}: ${decision.reason}`);
    this.name = 'SsrfRefusedError';
    this.code = decision.code;
    this.url = url;
  }
}

const refuse = (code: SsrfRefusal, reason: string, addressClass?: AddressClass): UrlDecision =>
  addressClass ? { allowed: false, code, reason, addressClass } : { allowed: false, code, reason };

/** `[::1]` → `::1`; URL keeps IPv6 literals bracketed. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export function createSsrfGuard(options: SsrfGuardOptions): SsrfGuard {
  const allowLoopback = options.allowLoopback ?? false;

  const permitted = (cls: AddressClass): boolean => cls === 'public' || (allowLoopback && cls === 'loopback');

  return {
    async check(input) {
      let url: URL;
      try {
        url = typeof input === 'string' ? new URL(input) : new URL(input.href);
      } catch {
        return refuse('invalid_url', 'not an absolute URL');
      }
      if (url.protocol !== 'https:' && !(allowLoopback && url.protocol === 'http:')) {
        return refuse('scheme_not_allowed', allowLoopback ? 'only https, or http to loopback' : 'only https URLs are allowed');
      }
      if (url.username !== '' || url.password !== '') return refuse('credentials_in_url', 'URLs must not carry credentials');

      // The WHATWG parser already turned decimal/octal/hex IPv4 forms (2130706433, 0177.0.0.1) into dotted
      // quads; classifyAddress parses those forms too, for addresses that did not come through a URL.
      const host = bareHost(url.hostname);
      let addresses: string[];
      if (isIpLiteral(host)) {
        addresses = [host];
      } else if (host === 'localhost' || host.endsWith('.localhost')) {
        // Resolvers are allowed to answer anything for these; the name itself says loopback (RFC 6761).
        addresses = ['127.0.0.1'];
      } else {
        try {
          addresses = await options.resolve(host);
        } catch (error) {
          return refuse('dns_failed', `could not resolve ${host}: ${errorText(error)}`);
        }
        if (addresses.length === 0) return refuse('no_address', `${host} has no address`);
      }

      // Every address must pass: the connector may pick any of them, and an attacker controls the DNS answer.
      for (const address of addresses) {
        const cls = classifyAddress(address);
        if (!permitted(cls)) return refuse('address_not_allowed', `${host} resolves to a ${cls} address (${address})`, cls);
        if (url.protocol === 'http:' && cls !== 'loopback') {
          return refuse('scheme_not_allowed', 'plain http is allowed to loopback addresses only');
        }
      }
      return { allowed: true, url, addresses };
    },
  };
}
