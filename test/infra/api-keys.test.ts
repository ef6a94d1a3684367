// The deploy-time admin bootstrap against a real local DynamoDB (dynalite): the key it prints is an admin key
// through the same HMAC the API's auth middleware uses, and only with the stage's pepper.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../functions/api/auth-keys.js';
import { issueAdminKey } from '../../infra/api-keys.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

describe('issueAdminKey', () => {
  it('stores only the peppered hash of a fresh sk_admin_ key, listed under the admin pseudo-tenant', async () => {
    const { id, key } = await issueAdminKey({ table: stack.table, pepper: 'pepper-one', name: 'ops', randomBytes: () => new Uint8Array(24).fill(7) });
    expect(key).toBe('sk_admin_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH');
    expect(await stack.table.getApiKey(await hashApiKey(key, 'pepper-one'))).toMatchObject({
      tenant: '_admin',
      kind: 'admin',
      id,
      name: 'ops',
      prefix: 'sk_admin_BwcHB',
    });
    expect(await stack.table.getApiKey(await hashApiKey(key, 'pepper-two'))).toBeNull();
    expect((await stack.table.listApiKeys('_admin')).map((k) => k.id)).toContain(id);
  });
});

describe('infra/create-api-key.ts', () => {
  it('prints a working admin key', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/create-api-key.ts', 'first-operator'], {
      env: { ...process.env, ...stack.env, API_KEY_PEPPER: 'stage-pepper-123' },
    });
    const printed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { kind: string; name: string; admin_key: string };
    expect(printed).toMatchObject({ kind: 'admin', name: 'first-operator' });
    expect(printed.admin_key).toMatch(/^sk_admin_[A-Za-z0-9_-]{32}$/);
    expect(await stack.table.getApiKey(await hashApiKey(printed.admin_key, 'stage-pepper-123'))).toMatchObject({ kind: 'admin', tenant: '_admin' });
  });
});
