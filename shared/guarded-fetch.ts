// An HTTP client for customer-supplied URLs: every hop (the first URL and each redirect) passes the SSRF
// guard, and the connection goes to the address the guard checked (no second DNS lookup to rebind).
// Size and time limits bound what a hostile server can cost us. Edge-clean; the connector is injected.
import { SsrfRefusedError, type SsrfGuard } from './ssrf-guard.js';

export interface ConnectRequest {
  url: URL;
  /** The checked IP address to connect to; the connector must not resolve `url.hostname` again. */
  address: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  signal: AbortSignal;
}

export interface ConnectResponse {
  status: number;
  headers: Headers;
  body: AsyncIterable<Uint8Array> | null;
}

export type Connector = (request: ConnectRequest) => Promise<ConnectResponse>;

export interface GuardedFetchOptions {
  guard: SsrfGuard;
  connect: Connector;
  /** Whole exchange including redirects; default 10 s. */
  timeoutMs?: number;
  /** Largest response body accepted; default 10 MiB. */
  maxBytes?: number;
  /** 0 returns a 3xx response to the caller unfollowed (webhooks count it as a failure); default 3. */
  maxRedirects?: number;
  /** Sniffed content types accepted; any when unset. */
  allowedContentTypes?: readonly string[];
}

export interface GuardedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
}

export interface GuardedResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
  /** From the bytes, not the server's Content-Type header. */
  sniffedType: string;
}

export type FetchLimit = 'timeout' | 'too_large' | 'too_many_redirects' | 'content_type';

export class FetchLimitError extends Error {
  readonly limit: FetchLimit;
  constructor(limit: FetchLimit, message: string) {
    super(message);
    this.name = 'FetchLimitError';
    this.limit = limit;
  }
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean => prefix.every((b, i) => bytes[offset + i] === b);

/** Magic-number sniffing for the types the platform handles; everything else is octet-stream. */
export function sniffContentType(bytes: Uint8Array): string {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'application/json';
  if (/^<(!doctype html|html)/i.test(head)) return 'text/html';
  return 'application/octet-stream';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function readLimited(body: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new FetchLimitError('too_large', `response body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export type GuardedFetch = (url: string, request?: GuardedRequest) => Promise<GuardedResponse>;

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;

  return async (firstUrl, request = {}) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new FetchLimitError('timeout', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
    let url = firstUrl;
    let method = request.method ?? 'GET';
    let body = request.body ?? null;
    try {
      for (let redirects = 0; ; redirects += 1) {
        const decision = await options.guard.check(url);
        if (!decision.allowed) throw new SsrfRefusedError(url, decision);
        const [address] = decision.addresses;
        if (address === undefined) throw new SsrfRefusedError(url, { code: 'no_address', reason: 'no address' });
        const response = await options.connect({
          url: decision.url,
          address,
          method,
          headers: request.headers ?? {},
          body,
          signal: controller.signal,
        });
        const location = response.headers.get('location');
        if (REDIRECTS.has(response.status) && location !== null && maxRedirects > 0) {
          if (redirects >= maxRedirects) throw new FetchLimitError('too_many_redirects', `more than ${maxRedirects} redirects`);
          await readLimited(response.body, maxBytes); // drain so the connection can close cleanly
          url = new URL(location, decision.url).href;
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = null;
          }
          continue;
        }
        const bytes = await readLimited(response.body, maxBytes);
        const sniffedType = sniffContentType(bytes);
        if (options.allowedContentTypes && !options.allowedContentTypes.includes(sniffedType)) {
          throw new FetchLimitError('content_type', `content is ${sniffedType}, expected one of ${options.allowedContentTypes.join(', ')}`);
        }
        return { status: response.status, headers: response.headers, body: bytes, url: decision.url.href, redirects, sniffedType };
      }
    } catch (error) {
      // An abort surfaces from the connector as its own error; report the limit that caused it.
      if (controller.signal.aborted && controller.signal.reason instanceof FetchLimitError) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
