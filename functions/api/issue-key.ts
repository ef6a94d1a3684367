// New API keys: 24 random bytes behind a readable prefix, stored only as HMAC(pepper, key) with a list entry
// (id, name, prefix, dates). The secret is returned once, to whoever asked for it, and never again.
import type { AccountStore, ApiKeyKind, ApiKeyRecord } from '../../shared/accounts.js';
import { newKeyId } from '../../shared/ids.js';
import { hashApiKey } from './auth-keys.js';

/** Characters of the key kept in its list entry, to tell keys apart (`sk_live_` + 6 of the random part). */
export const KEY_PREFIX_CHARS = 14;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

export interface IssueKeyOptions {
  accounts: Pick<AccountStore, 'createApiKey'>;
  pepper: string;
  tenant: string;
  kind: ApiKeyKind;
  name: string;
  expiresAt: string | null;
  now: Date;
  /** Keys the tenant may hold at once; null: no limit (the admin bootstrap). */
  maxKeys: number | null;
  /** Injectable for tests. */
  randomBytes?: () => Uint8Array;
}

/** The new key and its record; null when the tenant already holds `maxKeys`. */
export async function issueKey(options: IssueKeyOptions): Promise<{ key: string; record: ApiKeyRecord & { id: string } } | null> {
  const random = options.randomBytes ?? (() => crypto.getRandomValues(new Uint8Array(24)));
  const key = `${options.kind === 'admin' ? 'sk_admin_' : 'sk_live_'}${base64url(random())}`;
  const record = {
    keyHash: await hashApiKey(key, options.pepper),
    tenant: options.tenant,
    kind: options.kind,
    id: newKeyId(),
    name: options.name,
    prefix: key.slice(0, KEY_PREFIX_CHARS),
    createdAt: options.now.toISOString(),
    expiresAt: options.expiresAt,
    lastUsedAt: null,
  };
  if (!(await options.accounts.createApiKey(record, options.maxKeys))) return null;
  return { key, record };
}
