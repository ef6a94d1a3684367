// The API's Lambda entry in AWS (infra/api-entry.ts) with the real API and a local DynamoDB: an event shaped as
// a function URL receives it behind CloudFront with origin access control (CloudFront's signature in
// Authorization, the caller's key forwarded by the viewer-request function) authenticates as the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaEvent } from 'hono/aws-lambda';
import { seedApiKey } from '../../functions/api/auth-keys.js';
import { FORWARDED_AUTHORIZATION } from '../../infra/edge-auth.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

const PEPPER = 'entry-test-pepper';
const KEY = 'sk_live_entry_test_key_0123456789';
let stack: LocalStack;
let handler: (event: Extract<LambdaEvent, { rawPath: string }>) => Promise<{ statusCode: number; body: string }>;

beforeAll(async () => {
  stack = await startLocalStack();
  Object.assign(process.env, stack.env, { API_KEY_PEPPER: PEPPER });
  await seedApiKey(stack.table, KEY, 'acme', PEPPER);
  // The entry reads its config when it loads, as in Lambda.
  ({ handler } = await import('../../infra/api-entry.js'));
});
afterAll(() => stack.stop());

function urlEvent(path: string, headers: Record<string, string>): Extract<LambdaEvent, { rawPath: string }> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc.lambda-url.us-east-1.on.aws', ...headers },
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      authentication: null,
      authorizer: {},
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:01:00:00 +0000',
      timeEpoch: 1795654800000,
    },
  };
}

const SIGNATURE = 'AWS4-HMAC-SHA256 Credential=ASIA.../lambda/aws4_request, Signature=abc';

describe('API Lambda entry behind CloudFront', () => {
  it('authenticates the caller from the forwarded Authorization', async () => {
    const reply = await handler(urlEvent('/v1/models', { authorization: SIGNATURE, [FORWARDED_AUTHORIZATION]: `Bearer ${KEY}` }));
    expect(reply.statusCode).toBe(200);
  });

  it('answers missing_api_key, not a signature error, when the caller sent no key', async () => {
    const reply = await handler(urlEvent('/v1/models', { authorization: SIGNATURE }));
    expect(reply.statusCode).toBe(401);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
  });
});
