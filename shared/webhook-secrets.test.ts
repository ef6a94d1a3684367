import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../test/support/local-stack.js';
import { ensureWebhookSecret, rotateWebhookSecret, signingSecrets } from './webhook-secrets.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

describe('webhook secrets', () => {
  it('creates one first secret even when many callers race for it', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureWebhookSecret(stack.table, 'racer')));
    expect(new Set(results).size).toBe(1);
    expect(await stack.table.getWebhookSecrets('racer')).toEqual([results[0]]);
  });

  it('a fixed secret replaces whatever was there, alone; a malformed one is refused', async () => {
    await ensureWebhookSecret(stack.table, 'dev');
    const fixed = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(await ensureWebhookSecret(stack.table, 'dev', fixed)).toBe(fixed);
    expect(await stack.table.getWebhookSecrets('dev')).toEqual([fixed]);
    await expect(ensureWebhookSecret(stack.table, 'dev', 'not-a-secret')).rejects.toThrow('whsec_');
  });

  it('rotation keeps exactly one previous secret, and signing uses both', async () => {
    const first = await ensureWebhookSecret(stack.table, 'rot');
    const second = await rotateWebhookSecret(stack.table, 'rot');
    const third = await rotateWebhookSecret(stack.table, 'rot');
    expect(second.previous).toBe(first);
    expect(third.previous).toBe(second.current);
    expect(await signingSecrets(stack.table, 'rot')).toEqual([third.current, second.current]);
  });
});
