// AWS Signature Version 4 for the hot JSON-protocol calls (aws-json.ts). The key derived for a day, region and
// service is cached, so a request costs three crypto operations: the payload hash, the canonical request hash
// and one HMAC. The crypto is injectable. The default is sha256.ts (plain TypeScript, synchronous, edge-clean):
// Node's Web Crypto runs each operation on its thread pool, which made a signed call cost as much CPU as the
// SDK's (scripts/bench-api-calls.ts). Node entries pass aws-json-node.ts's node:crypto one.
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Crypto {
  sha256Hex(data: string): Promise<string>;
  /** A function that HMAC-SHA256s under `key`. */
  hmacKey(key: Uint8Array<ArrayBuffer>): Promise<(data: string) => Promise<Uint8Array<ArrayBuffer>>>;
}

import { hmacSha256, sha256 } from './sha256.js';

const encoder = new TextEncoder();

export const toHex = (bytes: Uint8Array): string => {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
};

/** Plain TypeScript (sha256.ts): no thread-pool hop, no platform API. */
export const jsSigV4Crypto: SigV4Crypto = {
  sha256Hex: (data) => Promise.resolve(toHex(sha256(encoder.encode(data)))),
  hmacKey: (key) => Promise.resolve((data: string) => Promise.resolve(hmacSha256(key, encoder.encode(data)))),
};

/** Web Crypto: native on edge runtimes; on Node each operation is a thread-pool round trip. */
export const webSigV4Crypto: SigV4Crypto = {
  async sha256Hex(data) {
    return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(data))));
  },
  async hmacKey(key) {
    const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return async (data) => new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data)));
  },
};

export interface SignInput {
  method: string;
  url: URL;
  /** Header names in any case; `host` and `x-amz-date` (and the session token) are added here. */
  headers: Record<string, string>;
  body: string;
}

export interface SignerOptions {
  region: string;
  /** Signing name: `dynamodb`, `sqs`. */
  service: string;
  crypto?: SigV4Crypto;
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** 20150830T123600Z */
export const amzDate = (date: Date): string => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams].map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Services other than S3 sign the path with each segment encoded once more. */
const canonicalPath = (url: URL): string => url.pathname.split('/').map(rfc3986).join('/') || '/';

export type Signer = (input: SignInput, credentials: AwsCredentials, now: Date) => Promise<Record<string, string>>;

/** Returns a signer; it answers the request's headers (lower-case names) with `authorization` added. */
export function createSigV4Signer(options: SignerOptions): Signer {
  const sigCrypto = options.crypto ?? jsSigV4Crypto;
  let cached: { id: string; sign: (data: string) => Promise<Uint8Array<ArrayBuffer>> } | null = null;

  const signingKey = async (credentials: AwsCredentials, day: string) => {
    const id = `${credentials.accessKeyId}\n${credentials.secretAccessKey}\n${day}`;
    if (cached?.id === id) return cached.sign;
    let key: Uint8Array<ArrayBuffer> = encoder.encode(`AWS4${credentials.secretAccessKey}`);
    for (const part of [day, options.region, options.service, 'aws4_request']) key = await (await sigCrypto.hmacKey(key))(part);
    const sign = await sigCrypto.hmacKey(key);
    cached = { id, sign };
    return sign;
  };

  return async (input, credentials, now) => {
    const stamp = amzDate(now);
    const day = stamp.slice(0, 8);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers)) headers[name.toLowerCase()] = value;
    headers.host = input.url.host;
    headers['x-amz-date'] = stamp;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const canonicalHeaders = names.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const signedHeaders = names.join(';');
    const payloadHash = await sigCrypto.sha256Hex(input.body);
    const canonicalRequest = [input.method, canonicalPath(input.url), canonicalQuery(input.url), canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${day}/${options.region}/${options.service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${await sigCrypto.sha256Hex(canonicalRequest)}`;
    const signature = toHex(await (await signingKey(credentials, day))(stringToSign));
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}
