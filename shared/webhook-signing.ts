// Standard Webhooks v1 signing (https://www.standardwebhooks.com) on the standardwebhooks library:
// HMAC-SHA256 over `id.timestamp.body`, one `v1,<base64>` entry per secret. The library is plain JavaScript
// (no Node or Web Crypto APIs), so it runs wherever the dispatcher does. Secrets' format: webhook-secret-format.ts.
import { Webhook } from 'standardwebhooks';
import { decodeWebhookSecret, InvalidWebhookSecretError } from './webhook-secret-format.js';

export { decodeWebhookSecret, generateWebhookSecret, InvalidWebhookSecretError, isWebhookSecret, SECRET_PREFIX } from './webhook-secret-format.js';

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

/** The library's signer for one secret; the secret is checked (and decoded) here, with our error. */
export function webhookSigner(secret: string): Webhook {
  return new Webhook(decodeWebhookSecret(secret), { format: 'raw' });
}

/** The `v1,<base64>` signature of one message under one secret. */
export function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  return webhookSigner(secret).sign(id, new Date(timestamp * 1000), body);
}

/** One `v1,<base64>` entry per secret, space-separated, as Standard Webhooks specifies for rotation. */
export async function signWebhook(options: SignWebhookOptions): Promise<WebhookHeaders> {
  if (options.secrets.length === 0) throw new InvalidWebhookSecretError('no webhook secret to sign with');
  const timestamp = Math.floor(options.timestamp);
  return {
    'webhook-id': options.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': options.secrets.map((secret) => signatureFor(secret, options.id, timestamp, options.body)).join(' '),
  };
}
