// Standard Webhooks v1 signing (https://www.standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`,
// secrets written `whsec_<base64>`. Web Crypto only, so the API (edge) and the dispatcher share it.

export const SECRET_PREFIX = 'whsec_';

// A type alias, not an interface, so it is assignable to plain header records.
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface SignWebhookOptions {
  /** Stable across retries of the same event: receivers de-duplicate on it. */
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  /** Current secret first; during rotation the previous one too, so receivers holding either verify. */
  secrets: readonly string[];
}

export class InvalidWebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWebhookSecretError';
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The raw key bytes of a `whsec_` secret (the prefix is optional, as in the reference libraries). */
export function decodeWebhookSecret(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  let key: Uint8Array;
  try {
    key = base64ToBytes(encoded);
  } catch {
    throw new InvalidWebhookSecretError('webhook secret is not valid base64');
  }
  if (key.length === 0) throw new InvalidWebhookSecretError('webhook secret is empty');
  return key;
}

export function isWebhookSecret(value: string): boolean {
  if (!value.startsWith(SECRET_PREFIX)) return false;
  try {
    return decodeWebhookSecret(value).length >= 16;
  } catch {
    return false;
  }
}

/** 32 random bytes: the HMAC-SHA256 block-size guidance says at least the hash length. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export function importWebhookKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  // Copy into a fresh ArrayBuffer-backed view: Web Crypto's typings reject SharedArrayBuffer-backed views.
  const raw = new Uint8Array(decodeWebhookSecret(secret));
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

export function signedContent(id: string, timestamp: number | string, body: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${id}.${timestamp}.${body}`);
}

/** One `v1,<base64>` entry per secret, space-separated, as Standard Webhooks specifies for rotation. */
export async function signWebhook(options: SignWebhookOptions): Promise<WebhookHeaders> {
  if (options.secrets.length === 0) throw new InvalidWebhookSecretError('no webhook secret to sign with');
  const timestamp = Math.floor(options.timestamp);
  const content = signedContent(options.id, timestamp, options.body);
  const signatures: string[] = [];
  for (const secret of options.secrets) {
    const key = await importWebhookKey(secret, 'sign');
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content));
    signatures.push(`v1,${bytesToBase64(mac)}`);
  }
  return {
    'webhook-id': options.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}
