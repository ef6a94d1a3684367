import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from './verify-webhook.js';
import { generateWebhookSecret, isWebhookSecret, signWebhook } from './webhook-signing.js';

// Fixed vector: secret and message from the Standard Webhooks spec's own example.
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('signWebhook', () => {
  it('reproduces the specification example signature exactly', async () => {
    const headers = await signWebhook({ id: SPEC_ID, timestamp: SPEC_TIMESTAMP, body: SPEC_BODY, secrets: [SPEC_SECRET] });
    expect(headers).toEqual({
      'webhook-id': SPEC_ID,
      'webhook-timestamp': '1614265330',
      'webhook-signature': SPEC_SIGNATURE,
    });
  });

  it('signs the same bytes as the standardwebhooks library', async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ id: 'evt_1', type: 'job.succeeded', data: { text: 'ünïcødé ✓' } });
    const ours = await signWebhook({ id: 'evt_1', timestamp: 1_700_000_000, body, secrets: [secret] });
    const theirs = new Webhook(secret).sign('evt_1', new Date(1_700_000_000_000), body);
    expect(ours['webhook-signature']).toBe(theirs);
  });

  it('is accepted by the standardwebhooks verifier (ours signs, theirs verifies)', async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ id: 'evt_2', type: 'job.failed', sequence: 3 });
    const headers = await signWebhook({ id: 'evt_2', timestamp: Date.now() / 1000, body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ id: 'evt_2', type: 'job.failed', sequence: 3 });
    expect(() => new Webhook(secret).verify(body.replace('3', '4'), { ...headers })).toThrow(/No matching signature/);
  });

  it('during rotation carries one signature per secret, each verifying alone', async () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"a":1}';
    const headers = await signWebhook({ id: 'evt_3', timestamp: Date.now() / 1000, body, secrets: [current, previous] });
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith('v1,'))).toBe(true);
    expect(new Webhook(current).verify(body, { ...headers })).toEqual({ a: 1 });
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual({ a: 1 });
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(isWebhookSecret(a)).toBe(true);
    expect(a).not.toBe(generateWebhookSecret());
    expect(isWebhookSecret('whsec_')).toBe(false);
    expect(isWebhookSecret('sk_abc')).toBe(false);
  });
});

describe('verifyWebhook', () => {
  const now = () => 1_700_000_100;

  it('accepts the specification example within tolerance', async () => {
    const headers = { 'webhook-id': SPEC_ID, 'webhook-timestamp': String(SPEC_TIMESTAMP), 'webhook-signature': SPEC_SIGNATURE };
    await expect(verifyWebhook(SPEC_BODY, headers, SPEC_SECRET, { now: () => SPEC_TIMESTAMP + 10 })).resolves.toEqual({ test: 2432232314 });
  });

  it('accepts what the standardwebhooks library signs (theirs signs, ours verifies)', async () => {
    const secret = generateWebhookSecret();
    const body = '{"id":"evt_9","type":"job.succeeded"}';
    const signature = new Webhook(secret).sign('evt_9', new Date(now() * 1000), body);
    const headers = new Headers({ 'Webhook-Id': 'evt_9', 'Webhook-Timestamp': String(now()), 'Webhook-Signature': signature });
    await expect(verifyWebhook(body, headers, secret, { now })).resolves.toEqual({ id: 'evt_9', type: 'job.succeeded' });
  });

  it('rejects a tampered body, a wrong secret, and a changed id', async () => {
    const secret = generateWebhookSecret();
    const body = '{"amount":1}';
    const headers = await signWebhook({ id: 'evt_4', timestamp: now(), body, secrets: [secret] });
    await expect(verifyWebhook('{"amount":2}', headers, secret, { now })).rejects.toThrow(WebhookVerificationError);
    await expect(verifyWebhook(body, headers, generateWebhookSecret(), { now })).rejects.toThrow('no matching signature');
    await expect(verifyWebhook(body, { ...headers, 'webhook-id': 'evt_5' }, secret, { now })).rejects.toThrow('no matching signature');
  });

  it('rejects timestamps outside the tolerance either way, and accepts at the edge', async () => {
    const secret = generateWebhookSecret();
    const body = '{}';
    const old = await signWebhook({ id: 'evt_6', timestamp: now() - 301, body, secrets: [secret] });
    await expect(verifyWebhook(body, old, secret, { now })).rejects.toThrow('webhook timestamp too old');
    const future = await signWebhook({ id: 'evt_6', timestamp: now() + 301, body, secrets: [secret] });
    await expect(verifyWebhook(body, future, secret, { now })).rejects.toThrow('webhook timestamp too new');
    const edge = await signWebhook({ id: 'evt_6', timestamp: now() - 300, body, secrets: [secret] });
    await expect(verifyWebhook(body, edge, secret, { now })).resolves.toEqual({});
    await expect(verifyWebhook(body, old, secret, { now, toleranceSeconds: 400 })).resolves.toEqual({});
  });

  it('rejects missing headers and non-numeric timestamps', async () => {
    const secret = generateWebhookSecret();
    await expect(verifyWebhook('{}', {}, secret)).rejects.toThrow('missing webhook headers');
    const headers = await signWebhook({ id: 'e', timestamp: now(), body: '{}', secrets: [secret] });
    await expect(verifyWebhook('{}', { ...headers, 'webhook-timestamp': '17e8' }, secret, { now })).rejects.toThrow('invalid webhook-timestamp');
  });

  it('accepts any of several secrets and skips unknown versions and malformed entries', async () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"x":true}';
    const signed = await signWebhook({ id: 'evt_7', timestamp: now(), body, secrets: [previous] });
    const headers = { ...signed, 'webhook-signature': `v2,abc v1,%%% ${signed['webhook-signature']}` };
    await expect(verifyWebhook(body, headers, [current, previous], { now })).resolves.toEqual({ x: true });
    await expect(verifyWebhook(body, headers, [current], { now })).rejects.toThrow('no matching signature');
  });
});
