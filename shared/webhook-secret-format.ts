// Webhook secrets as Standard Webhooks writes them: `whsec_<base64>` of at least 16 random bytes. Kept apart
// from signing so the API (which creates and rotates secrets but never signs) does not load the signer.
import { base64ToBytes, bytesToBase64 } from './base64.js';

export const SECRET_PREFIX = 'whsec_';

export class InvalidWebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWebhookSecretError';
  }
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
