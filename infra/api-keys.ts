// The admin bootstrap of a deployed stage: the first admin key, made straight in the table (only its HMAC is
// stored, so it is shown once). Everything after it goes through the operator API (/v1/admin/*).
import { issueKey } from '../functions/api/issue-key.js';
import { ADMIN_TENANT } from '../shared/accounts.js';
import type { AccountStore } from '../shared/accounts.js';

export interface IssueAdminKeyOptions {
  table: Pick<AccountStore, 'createApiKey'>;
  pepper: string;
  name: string;
  /** 24 random bytes; injectable for tests. */
  randomBytes?: () => Uint8Array;
}

export async function issueAdminKey(options: IssueAdminKeyOptions): Promise<{ id: string; key: string }> {
  const issued = await issueKey({
    accounts: options.table,
    pepper: options.pepper,
    tenant: ADMIN_TENANT,
    kind: 'admin',
    name: options.name,
    expiresAt: null,
    now: new Date(),
    maxKeys: null,
    ...(options.randomBytes === undefined ? {} : { randomBytes: options.randomBytes }),
  });
  if (issued === null) throw new Error('unreachable: the admin bootstrap has no key limit');
  return { id: issued.record.id, key: issued.key };
}
