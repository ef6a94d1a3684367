// Issues API keys for a deployed stage: the table keeps only HMAC(pepper, key), so the key is shown once.
import { seedApiKey } from '../functions/api/auth-keys.js';
import type { ApiKeyStore } from '../shared/ports.js';

export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface IssueApiKeyOptions {
  table: Pick<ApiKeyStore, 'putApiKey'>;
  pepper: string;
  tenant: string;
  /** 24 random bytes; injectable for tests. */
  randomBytes?: () => Uint8Array;
}

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export async function issueApiKey(options: IssueApiKeyOptions): Promise<string> {
  if (!TENANT_PATTERN.test(options.tenant)) throw new RangeError(`tenant must match ${TENANT_PATTERN}`);
  const random = options.randomBytes ?? (() => crypto.getRandomValues(new Uint8Array(24)));
  const key = `sk_live_${base64url(random())}`;
  await seedApiKey(options.table, key, options.tenant, options.pepper);
  return key;
}
