// The entry files: serve.ts over a real socket on loopback, handler.ts as Lambda receives events, both
// wired from the parsed config to the local stack (the production wiring, local endpoints).
import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedApiKey } from '../../functions/api/auth-keys.js';
import { createPlatformDeps } from '../../functions/api/platform-deps.js';
import type { JobResource } from '../../functions/api/schemas/job-resource.js';
import { startApiServer, type ApiServer } from '../../functions/api/serve.js';
import { createAwsClients, type AwsClients } from '../../shared/aws/clients.js';
import { loadConfig } from '../../shared/config.js';
import { parseEventMessage } from '../../shared/events.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let clients: AwsClients;
let server: ApiServer;
const KEY = 'sk_entry_test_0123456789';
const env = () => ({ ...stack.env, API_KEY_PEPPER: 'entry-pepper', ALLOW_LOOPBACK_HTTP: 'true' });

beforeAll(async () => {
  stack = await startLocalStack();
  const config = loadConfig(env());
  clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await seedApiKey(stack.table, KEY, 'dev', 'entry-pepper');
  server = await startApiServer({ deps: createPlatformDeps({ config, clients }), port: 0 });
});
afterAll(async () => {
  await server.close();
  clients.destroy();
  await stack.stop();
});

describe('startApiServer (Node)', () => {
  it('serves health and jobs on a loopback port', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const res = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nexus-mini', messages: [{ role: 'user', content: 'hi' }], webhook: { url: 'http://127.0.0.1:9/hook' } }),
    });
    expect(res.status).toBe(202);
    const job = (await res.json()) as JobResource;
    // A job with a webhook emits job.queued (sequence 1, stored with the row) on the events queue.
    const events = stack.queue(stack.resources.events.queueUrl, parseEventMessage);
    const [event] = await events.receive({ maxMessages: 1, waitSeconds: 2 });
    expect(event?.body).toMatchObject({ type: 'job.queued', job_id: job.id, tenant: 'dev', sequence: 1 });
    expect((await stack.table.getJob('dev', job.id))?.eventSequence).toBe(1);

    // Canceling it emits job.canceled with the sequence stored in the same conditional write.
    const canceled = await fetch(`${server.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(((await canceled.json()) as JobResource).status).toBe('canceled');
    const [second] = await events.receive({ maxMessages: 1, waitSeconds: 2 });
    const row = await stack.table.getJob('dev', job.id);
    expect(second?.body).toMatchObject({ type: 'job.canceled', job_id: job.id, sequence: row?.eventSequence });
    expect(row?.eventSequence).toBe(2);
  });
});

describe('body size over a socket', () => {
  it('413 from Content-Length alone, and from counting a chunked body', async () => {
    const big = JSON.stringify({ model: 'nexus-mini', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] });
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const declared = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers, body: big });
    expect(declared.status).toBe(413);
    // Without a Content-Length, node:http sends Transfer-Encoding: chunked.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/v1/jobs`, { method: 'POST', headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 1 << 20) req.write(big.slice(i, i + (1 << 20)));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect((JSON.parse(streamed.body) as { error: { code: string } }).error.code).toBe('body_too_large');
  });
});

describe('handler (Lambda)', () => {
  it('answers API Gateway v2 events', async () => {
    Object.assign(process.env, env());
    const { handler } = await import('../../functions/api/handler.js');
    const event = (method: string, path: string, body?: string): Extract<LambdaEvent, { rawPath: string; version: string; routeKey: string; cookies?: string[] }> => ({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', host: 'api.example.com' },
      requestContext: {
        accountId: '1',
        apiId: 'a',
        authentication: null,
        authorizer: {},
        domainName: 'api.example.com',
        domainPrefix: 'api',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
        requestId: 'r',
        routeKey: '$default',
        stage: '$default',
        time: '',
        timeEpoch: 0,
      },
      isBase64Encoded: false,
      body: body ?? null,
    });
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: 'api',
      functionVersion: '1',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:api',
      memoryLimitInMB: '512',
      awsRequestId: 'r',
      logGroupName: 'g',
      logStreamName: 's',
      getRemainingTimeInMillis: () => 30_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const health = await handler(event('GET', '/health'), context);
    expect(health).toMatchObject({ statusCode: 200 });
    const created = await handler(event('POST', '/v1/jobs', JSON.stringify({ model: 'nexus-mini', messages: [{ role: 'user', content: 'x' }] })), context);
    expect(created.statusCode).toBe(202);
    const job = JSON.parse(created.body) as JobResource;
    expect((await stack.table.getJob('dev', job.id))?.status).toBe('queued');
  });
});

describe('readiness (platform wiring)', () => {
  it('/health is 503 while the backing services do not answer', async () => {
    const config = loadConfig({ ...env(), DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', SQS_ENDPOINT: 'http://127.0.0.1:9' });
    const deadClients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const down = await startApiServer({ deps: createPlatformDeps({ config, clients: deadClients }), port: 0 });
    try {
      const res = await fetch(`${down.url}/health`);
      expect([res.status, await res.json()]).toEqual([503, { status: 'unavailable' }]);
    } finally {
      await down.close();
      deadClients.destroy();
    }
  });
});
