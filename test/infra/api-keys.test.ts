// The deploy-time key tool against a real local DynamoDB (dynalite): the key it prints resolves to the tenant
// through the same HMAC the API's auth middleware uses, and only with the stage's pepper.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../functions/api/auth-keys.js';
import { issueApiKey } from '../../infra/api-keys.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

describe('issueApiKey', () => {
  it('stores only the peppered hash of a fresh sk_live_ key for the tenant', async () => {
    const key = await issueApiKey({ table: stack.table, pepper: 'pepper-one', tenant: 'acme', randomBytes: () => new Uint8Array(24).fill(7) });
    expect(key).toBe('sk_live_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH');
    expect(await stack.table.getTenantByApiKey(await hashApiKey(key, 'pepper-one'))).toBe('acme');
    expect(await stack.table.getTenantByApiKey(await hashApiKey(key, 'pepper-two'))).toBeNull();
  });

  it('refuses a tenant id that is not a plain slug', async () => {
    await expect(issueApiKey({ table: stack.table, pepper: 'p', tenant: 'TENANT#x' })).rejects.toThrow(RangeError);
  });
});

describe('infra/create-api-key.ts', () => {
  it('prints a working key for the tenant given on the command line', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/create-api-key.ts', 'globex'], {
      env: { ...process.env, ...stack.env, API_KEY_PEPPER: 'stage-pepper-123' },
    });
    const printed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { tenant: string; api_key: string };
    expect(printed.tenant).toBe('globex');
    expect(printed.api_key).toMatch(/^sk_live_[A-Za-z0-9_-]{32}$/);
    expect(await stack.table.getTenantByApiKey(await hashApiKey(printed.api_key, 'stage-pepper-123'))).toBe('globex');
  });
});
