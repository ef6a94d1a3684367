// API keys are stored only as HMAC-SHA256(pepper, key): the table alone (a backup, a leaked export) does not
// hold usable keys, and the pepper lives in a secret, not beside the data.
import type { ApiKeyKind } from '../../shared/accounts.js';
import { bytesToHex } from '../../shared/base64.js';
import type { ApiKeyStore } from '../../shared/ports.js';

const encoder = new TextEncoder();
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', encoder.encode(pepper), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    hmacKeys.set(pepper, key);
  }
  return key;
}

export async function hashApiKey(apiKey: string, pepper: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(pepper), encoder.encode(apiKey));
  return bytesToHex(new Uint8Array(signature));
}

/** Registers `apiKey` for `tenant` (npm start's dev keys, tests); such keys are not listed by GET /v1/api-keys. */
export async function seedApiKey(table: Pick<ApiKeyStore, 'putApiKey'>, apiKey: string, tenant: string, pepper: string, kind: ApiKeyKind = 'customer'): Promise<void> {
  await table.putApiKey(await hashApiKey(apiKey, pepper), tenant, kind);
}

export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}
