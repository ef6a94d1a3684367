// Verifies a webhook delivery per Standard Webhooks v1: `webhook-signature` holds one or more `v1,<base64
// HMAC-SHA256(id.timestamp.body)>` (two during a secret rotation), the timestamp must be within the tolerance,
// secrets are `whsec_<base64>`. The HMAC is Web Crypto's (crypto.subtle.verify compares in constant time), so this
// runs on every runtime; it interoperates with the `standardwebhooks` library (the tests check both ways).
import { WebhookVerificationError } from './errors.js';
import { base64ToBytes } from './media.js';
import type { JobEvent } from './types.js';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Accepted clock skew either way, in seconds (default 300, as the reference libraries). */
  toleranceSeconds?: number;
  /** Unix seconds now; injectable for tests. */
  now?: () => number;
}

function header(headers: WebhookHeaders, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : (value ?? null);
  }
  return null;
}

function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  let key: Uint8Array;
  try {
    key = base64ToBytes(encoded);
  } catch {
    throw new WebhookVerificationError('the webhook secret is not whsec_<base64>');
  }
  if (key.length === 0) throw new WebhookVerificationError('the webhook secret is empty');
  return new Uint8Array(key);
}

function signatureBytes(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    return new Uint8Array(base64ToBytes(text));
  } catch {
    return null;
  }
}

export class Webhooks {
  /**
   * The event, parsed, when any `v1` signature matches any of the secrets (pass the previous one too while
   * rotating); WebhookVerificationError otherwise. `rawBody` must be the bytes as received, before any JSON parse.
   */
  async verify(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string | readonly string[], options: VerifyOptions = {}): Promise<JobEvent> {
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signatures = header(headers, 'webhook-signature');
    if (id === null || timestamp === null || signatures === null) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
    if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a Unix time');
    const now = options.now?.() ?? Math.floor(Date.now() / 1000);
    const tolerance = options.toleranceSeconds ?? 300;
    if (Math.abs(now - Number(timestamp)) > tolerance) throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s away from now`);

    const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
    const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
    const candidates = signatures
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => signatureBytes(entry.slice(3)))
      .filter((bytes): bytes is Uint8Array<ArrayBuffer> => bytes !== null);
    for (const one of typeof secret === 'string' ? [secret] : secret) {
      const key = await crypto.subtle.importKey('raw', secretKey(one), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      for (const candidate of candidates) {
        if (await crypto.subtle.verify('HMAC', key, candidate, signed)) {
          const event: JobEvent = JSON.parse(body);
          return event;
        }
      }
    }
    throw new WebhookVerificationError('no webhook-signature matches the secret');
  }
}
