// Every error type of docs/architecture.md §4.3 through the real app, each in the one envelope with a useful `param`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../shared/aws/clients.js';
import { createDynamoJobStore } from '../../shared/aws/dynamo-job-store.js';
import { LAST_MESSAGE_RULE, type JobMessage } from '../../shared/job.js';
import type { MessageQueue } from '../../shared/ports.js';
import type { JobResource } from '../../functions/api/schemas/job-resource.js';
import { pngBytes, dataUri, startApiHarness, textJob, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

async function expectError(res: Response, status: number, error: Partial<JsonError['error']>): Promise<JsonError> {
  const body = (await res.json()) as JsonError;
  expect({ status: res.status, ...body.error }).toMatchObject({ status, ...error });
  expect(body.request_id).toMatch(/^req_[0-9A-Z]{26}$/);
  expect(res.headers.get('request-id')).toBe(body.request_id);
  expect(Object.keys(body).sort()).toEqual(['error', 'request_id']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body;
}

const post = (body: unknown, headers: Record<string, string> = {}) => h.call('POST', '/v1/jobs', { body, headers });

describe('authentication_error (401)', () => {
  it('missing, malformed and unknown keys', async () => {
    await expectError(await h.call('GET', '/v1/models', { key: null }), 401, { type: 'authentication_error', code: 'missing_api_key' });
    await expectError(await h.app.request('/v1/models', { headers: { authorization: 'Basic abc' } }), 401, { code: 'invalid_api_key' });
    await expectError(await h.call('GET', '/v1/models', { key: 'sk_wrong' }), 401, { code: 'invalid_api_key' });
  });

  it('takes the scheme in any case (RFC 9110), but not the key', async () => {
    expect((await h.app.request('/v1/models', { headers: { authorization: `bearer ${h.key}` } })).status).toBe(200);
    expect((await h.app.request('/v1/models', { headers: { authorization: `BEARER ${h.key}` } })).status).toBe(200);
    await expectError(await h.app.request('/v1/models', { headers: { authorization: `Bearer ${h.key.toUpperCase()}` } }), 401, { code: 'invalid_api_key' });
  });
});

describe('invalid_request_error (400) with param paths', () => {
  const image = (url: string) => ({ type: 'image_url', image_url: { url } });
  const cases: [string, unknown, string, string][] = [
    ['unknown top-level field', { ...textJob(), temperature: 1 }, 'temperature', 'invalid_parameter'],
    ['unknown nested field', textJob('x', { params: { seed: 1, sede: 2 } }), 'params.sede', 'invalid_parameter'],
    ['bad role', { model: 'nexus-mini', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', 'invalid_parameter'],
    ['bad part type', { model: 'nexus-mini', messages: [{ role: 'user', content: [{ type: 'audio', audio: {} }] }] }, 'messages[0].content[0].type', 'invalid_parameter'],
    [
      'text too long',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'a'.repeat(4001) }] }] },
      'messages[0].content[0].text',
      'invalid_parameter',
    ],
    ['lone surrogate', textJob('bad \uD800 text'), 'messages[0].content', 'invalid_parameter'],
    ['no messages', { model: 'nexus-mini', messages: [] }, 'messages', 'invalid_parameter'],
    [
      'last message from the assistant',
      {
        model: 'nexus-mini',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y' },
        ],
      },
      'messages[1].role',
      'invalid_parameter',
    ],
    ['only a system message', { model: 'nexus-mini', messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role', 'invalid_parameter'],
    ['too many messages', { model: 'nexus-mini', messages: Array.from({ length: 33 }, () => ({ role: 'user', content: 'x' })) }, 'messages', 'invalid_parameter'],
    ['missing model', { messages: [{ role: 'user', content: 'x' }] }, 'model', 'invalid_parameter'],
    ['unknown model', { ...textJob(), model: 'gpt-9' }, 'model', 'model_not_found'],
    ['seed out of range', textJob('x', { params: { seed: -1 } }), 'params.seed', 'invalid_parameter'],
    ['huge number', textJob('x', { params: { steps: 1e308 } }), 'params.steps', 'invalid_parameter'],
    ['fractional steps', textJob('x', { params: { steps: 2.5 } }), 'params.steps', 'invalid_parameter'],
    ['guidance out of range', textJob('x', { params: { guidance: 99 } }), 'params.guidance', 'invalid_parameter'],
    ['bad output format', textJob('x', { output: { format: 'gif' } }), 'output.format', 'invalid_parameter'],
    ['a modality twice', textJob('x', { output: { modalities: ['image', 'image'] } }), 'output.modalities', 'invalid_parameter'],
    ['http webhook to a public host', textJob('x', { webhook: { url: 'http://example.com/h' } }), 'webhook.url', 'invalid_webhook_url'],
    ['webhook with credentials', textJob('x', { webhook: { url: 'https://u:p@example.com/h' } }), 'webhook.url', 'invalid_webhook_url'],
    ['unknown webhook event', textJob('x', { webhook: { url: 'https://example.com/h', events: ['job.exploded'] } }), 'webhook.events[0]', 'invalid_parameter'],
    ['metadata value not a string', textJob('x', { metadata: { a: 1 } }), 'metadata.a', 'invalid_parameter'],
    // JSON.parse makes "__proto__" an own key; it must be refused, not silently dropped from the stored job.
    ['metadata key __proto__', textJob('x', { metadata: JSON.parse('{"a":"b","__proto__":"x"}') as unknown }), 'metadata.__proto__', 'invalid_parameter'],
    ['too many metadata keys', textJob('x', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), 'metadata', 'invalid_parameter'],
    [
      'image URL scheme',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image('ftp://x/y.png')] }] },
      'messages[0].content[0].image_url.url',
      'invalid_image_url',
    ],
    [
      'not base64',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image('data:image/png;base64,@@@@')] }] },
      'messages[0].content[0].image_url.url',
      'invalid_data_uri',
    ],
    [
      'not a base64 data URI',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image('data:image/png,abc')] }] },
      'messages[0].content[0].image_url.url',
      'invalid_data_uri',
    ],
    [
      'GIF disguised as PNG',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image(`data:image/png;base64,${btoa('GIF89a\x01\x00\x01\x00')}`)] }] },
      'messages[0].content[0].image_url.url',
      'unsupported_image_format',
    ],
    [
      'unknown upload',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image('upload:upl_01JD3V9X8M4Q2W7RZK5T0B6N1C')] }] },
      'messages[0].content[0].image_url.url',
      'upload_not_found',
    ],
    [
      'malformed upload reference',
      { model: 'nexus-mini', messages: [{ role: 'user', content: [image('upload:../../etc')] }] },
      'messages[0].content[0].image_url.url',
      'invalid_upload_reference',
    ],
  ];
  it.each(cases)('%s', async (_name, body, param, code) => {
    await expectError(await post(body), 400, { type: 'invalid_request_error', param, code });
  });

  it('refuses a body that declares a charset other than UTF-8 (415), and takes utf-8 in any spelling', async () => {
    const send = (contentType: string) =>
      h.app.request('/v1/jobs', { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': contentType }, body: JSON.stringify(textJob('café')) });
    for (const type of ['application/json; charset=latin1', 'application/json;charset="ISO-8859-1"', 'application/json; charset=utf-16']) {
      const err = await expectError(await send(type), 415, { type: 'invalid_request_error', code: 'unsupported_charset', param: null });
      expect(err.error.message).toMatch(/^request bodies must be UTF-8 JSON; got charset=/);
    }
    for (const type of ['application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf8"', 'application/json']) {
      expect((await send(type)).status).toBe(202);
    }
  });

  it('says what is wrong with a content value: a broken constraint, a missing value, or the wrong type', async () => {
    const content = async (value: unknown) => {
      const message = value === undefined ? { role: 'user' } : { role: 'user', content: value };
      const err = await expectError(await post({ model: 'nexus-mini', messages: [message] }), 400, { param: 'messages[0].content' });
      return err.error.message;
    };
    expect(await content(Array.from({ length: 21 }, () => ({ type: 'text', text: 'a' })))).toBe('messages[0].content: Too big: expected array to have <=20 items');
    expect(await content(undefined)).toBe('messages[0].content: required');
    expect(await content(5)).toBe('messages[0].content: value has the wrong type');
  });

  it('a conversation must end with a user turn, and the error says so', async () => {
    const body = {
      model: 'nexus-mini',
      messages: [
        { role: 'user', content: 'Generate an image.' },
        { role: 'assistant', content: 'Here is the image:' },
      ],
    };
    const err = await expectError(await post(body), 400, { param: 'messages[1].role' });
    expect(err.error.message).toBe(`messages[1].role: ${LAST_MESSAGE_RULE}`);
  });

  it('an image header declaring too many pixels is refused before decoding', async () => {
    const png = new Uint8Array(64);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(png.buffer).setUint32(16, 4096);
    new DataView(png.buffer).setUint32(20, 4097);
    const body = {
      model: 'nexus-mini',
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'y' },
            { type: 'image_url', image_url: { url: dataUri(png) } },
          ],
        },
      ],
    };
    const err = await expectError(await post(body), 400, { code: 'image_too_large', param: 'messages[1].content[1].image_url.url' });
    expect(err.error.message).toContain('4096x4097');
  });

  it('more than 4 images', async () => {
    const url = dataUri(await pngBytes());
    const content = Array.from({ length: 5 }, () => ({ type: 'image_url', image_url: { url } }));
    await expectError(await post({ model: 'nexus-mini', messages: [{ role: 'user', content }] }), 400, { code: 'too_many_images', param: 'messages[0].content[4]' });
  });

  it('malformed JSON, deep nesting and a wrong content type are 4xx', async () => {
    await expectError(await post('{"model": "nexus-mini",'), 400, { code: 'invalid_json' });
    await expectError(await post('['.repeat(200_000) + ']'.repeat(200_000)), 400, { type: 'invalid_request_error' });
    await expectError(await post(JSON.stringify(textJob()), { 'content-type': 'text/plain' }), 415, { code: 'unsupported_media_type' });
    await expectError(await h.app.request('/v1/jobs', { method: 'POST', headers: { authorization: `Bearer ${h.key}` } }), 400, { type: 'invalid_request_error' });
  });

  it('a body over 8 MiB is 413', async () => {
    await expectError(await post(JSON.stringify(textJob('x'.repeat(9 * 1024 * 1024)))), 413, { type: 'invalid_request_error', code: 'body_too_large' });
  });
});

describe('not_found_error (404)', () => {
  it('unknown routes use the envelope', async () => {
    await expectError(await h.call('GET', '/v1/nothing'), 404, { type: 'not_found_error', code: 'route_not_found' });
  });
});

describe('rate_limit_error (429)', () => {
  it('counts per tenant in DynamoDB and sends Retry-After', async () => {
    const limited = await startApiHarness({ rateLimitPerWindow: 3, rateWindowSeconds: 60 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await limited.call('GET', '/v1/models')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = await limited.call('GET', '/v1/models');
      await expectError(res, 429, { type: 'rate_limit_error', code: 'rate_limited' });
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Another tenant has its own budget.
      expect((await limited.call('GET', '/v1/models', { key: limited.otherKey })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('overloaded_error (503) and api_error (500)', () => {
  const failingQueue = (): MessageQueue<JobMessage> => ({
    ...h.stack.jobs,
    send: () => Promise.reject(new Error('injected: SQS unavailable')),
  });

  /** Takes every message now on the jobs queue (the harness runs no worker). */
  const collectJobMessages = async (): Promise<JobMessage[]> => {
    const bodies: JobMessage[] = [];
    for (;;) {
      const batch = await h.stack.jobs.receive({ maxMessages: 10, waitSeconds: 0, visibilitySeconds: 30 });
      if (batch.length === 0) return bodies;
      for (const message of batch) {
        bodies.push(message.body);
        await h.stack.jobs.delete(message.receiptHandle);
      }
    }
  };

  const post = (a: ReturnType<typeof h.appWith>, key: string, text: string) =>
    a.request('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(textJob(text)),
    });

  it('an SQS failure is 503 before any row exists; the released key lets the retry create the job', async () => {
    const before = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
    const res = await post(h.appWith({ queue: failingQueue() }), 'sqs-down', 'queue me');
    await expectError(res, 503, { type: 'overloaded_error', code: 'queue_unavailable' });
    expect(res.headers.get('retry-after')).toBe('1');
    // The message goes before the row, so a failed send leaves no job at all, queued or otherwise.
    const after = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
    expect(after.items[0]?.id).toBe(before.items[0]?.id);
    const retry = await post(h.app, 'sqs-down', 'queue me');
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as JobResource).status).toBe('queued');
  });

  it('a DynamoDB failure after the send is 503 with no row; the message left behind names a job that does not exist', async () => {
    await collectJobMessages();
    const res = await post(h.appWith({ jobs: { ...h.stack.table, createJob: () => Promise.reject(new Error('injected: DynamoDB down')) } }), 'ddb-down', 'row me');
    await expectError(res, 503, { type: 'overloaded_error', code: 'table_unavailable' });
    const messages = await collectJobMessages();
    expect(messages).toHaveLength(1);
    const orphan = messages[0];
    if (orphan === undefined) throw new Error('no message');
    expect(orphan).toMatchObject({ v: 1, tenant: 'acme', model: 'nexus-mini', attempt: 1 });
    // No row: the worker drops such a message after its grace period (workers/gpu/orphan-message.ts).
    expect(await h.stack.table.getJob('acme', orphan.job_id)).toBeNull();
    const retry = await post(h.app, 'ddb-down', 'row me');
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as JobResource).id).not.toBe(orphan.job_id);
  });

  it('a throttled job-row put, retried by the SDK (3 attempts, shared/aws/clients.ts), is 503 with no row', async () => {
    // dynalite never throttles: SDK middleware answers every attempt of the job row's PutItem with DynamoDB's
    // throttling error, beneath the SDK's retry middleware, so the real retry strategy and the real adapter run.
    const clients = createAwsClients({ region: 'us-east-1', endpoints: h.stack.endpoints, credentials: LOCAL_CREDENTIALS });
    const attempts: string[] = [];
    clients.dynamodb.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        attempts.push(context.commandName);
        throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectThrottling' },
    );
    try {
      await collectJobMessages();
      const jobs = { ...h.stack.table, createJob: createDynamoJobStore({ client: clients.documents, tableName: h.stack.resources.table }).createJob };
      const res = await post(h.appWith({ jobs }), 'ddb-throttled', 'row me later');
      await expectError(res, 503, { type: 'overloaded_error', code: 'table_unavailable' });
      expect(attempts).toEqual(['PutItemCommand', 'PutItemCommand', 'PutItemCommand']);
      const [orphan] = await collectJobMessages();
      expect(orphan === undefined ? null : await h.stack.table.getJob('acme', orphan.job_id)).toBeNull();
    } finally {
      clients.destroy();
    }
  });

  it('a DynamoDB failure claiming the Idempotency-Key is 503, not 500, and leaves no job', async () => {
    const before = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
    const res = await post(
      h.appWith({ jobs: { ...h.stack.table, claimIdempotencyKey: () => Promise.reject(new Error('injected: DynamoDB down')) } }),
      'claim-down',
      'claim me',
    );
    await expectError(res, 503, { type: 'overloaded_error', code: 'table_unavailable' });
    expect((await h.stack.table.listJobs('acme', { limit: 1, cursor: null })).items[0]?.id).toBe(before.items[0]?.id);
    expect((await post(h.app, 'claim-down', 'claim me')).status).toBe(202);
  });

  it('an S3 failure storing inputs is 503 and leaves no job row', async () => {
    const app = h.appWith({ objects: { ...h.stack.objects, put: () => Promise.reject(new Error('injected: S3 down')) } });
    const before = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
    const body = { model: 'nexus-mini', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUri(await pngBytes()) } }] }] };
    const res = await app.request('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await expectError(res, 503, { type: 'overloaded_error', code: 'storage_unavailable' });
    const after = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
    expect(after.items[0]?.id).toBe(before.items[0]?.id);
  });

  it('an unexpected failure is 500 api_error without internals in the message', async () => {
    const app = h.appWith({ jobs: { ...h.stack.table, listJobs: () => Promise.reject(new Error('secret internals')) } });
    const res = await app.request('/v1/jobs', { headers: { authorization: `Bearer ${h.key}` } });
    const err = await expectError(res, 500, { type: 'api_error', code: 'internal_error' });
    expect(err.error.message).toBe('internal error');
  });
});
