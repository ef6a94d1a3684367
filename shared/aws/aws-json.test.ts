// The light JSON-protocol caller against the local stack (dynalite, the SQS front) over both transports, and
// against loopback servers that answer with the faults a healthy server does not produce (5xx, throttling,
// resets), to show what is retried and what is not.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { AwsServiceError, createAwsJsonCall, fetchTransport, type AwsJsonCall, type HttpTransport } from './aws-json.js';
import { createAwsClients, LOCAL_CREDENTIALS } from './clients.js';
import { createNodeTransport, nodeSigV4Crypto } from './aws-json-node.js';

let stack: LocalStack;
const node = createNodeTransport();
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  node.destroy();
  await stack.stop();
});

const transports: [string, HttpTransport][] = [
  ['fetch', fetchTransport],
  ['node:http', node.transport],
];

function dynamo(transport: HttpTransport): AwsJsonCall {
  return createAwsJsonCall({
    endpoint: stack.endpoints.dynamodb,
    region: 'us-east-1',
    service: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    credentials: () => Promise.resolve(LOCAL_CREDENTIALS),
    transport,
    crypto: nodeSigV4Crypto,
  });
}

describe.each(transports)('createAwsJsonCall over %s', (name, transport) => {
  it('writes a row conditionally and names a failed condition by its AWS code', async () => {
    const call = dynamo(transport);
    const item = { pk: { S: `TENANT#json-${name}` }, sk: { S: 'JOB#1' }, note: { S: 'first' } };
    const put = { TableName: stack.resources.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' };
    expect(await call('PutItem', put)).toEqual({});
    const second = await call('PutItem', { ...put, Item: { ...item, note: { S: 'second' } } }).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(AwsServiceError);
    expect(second instanceof AwsServiceError && [second.name, second.status, second.retryable]).toEqual(['ConditionalCheckFailedException', 400, false]);
    const read = await call('GetItem', { TableName: stack.resources.table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true });
    expect(read).toEqual({ Item: item });
  });

  it('sends to SQS through the front, and the message arrives', async () => {
    const call = createAwsJsonCall({
      endpoint: stack.endpoints.sqs,
      region: 'us-east-1',
      service: 'sqs',
      targetPrefix: 'AmazonSQS',
      headers: { 'x-amzn-query-mode': 'true' },
      credentials: () => Promise.resolve(LOCAL_CREDENTIALS),
      transport,
    });
    const reply = await call('SendMessage', { QueueUrl: stack.resources.events.queueUrl, MessageBody: JSON.stringify({ via: name }) });
    expect(typeof reply.MessageId).toBe('string');
    const received = await stack.events.receive({ maxMessages: 10, waitSeconds: 1, visibilitySeconds: 60 });
    expect(received.map((m) => m.body)).toContainEqual({ via: name });
    const missing = await call('SendMessage', { QueueUrl: `${stack.resources.events.queueUrl}-missing`, MessageBody: '{}' }).catch((e: unknown) => e);
    expect(missing instanceof Error && missing.name).toBe('QueueDoesNotExist');
  });
});

interface FaultServer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** Answers the n-th request with answers[n] (the last one repeats); 'reset' drops the connection. */
async function faultServer(answers: (readonly [number, string] | 'reset')[]): Promise<FaultServer> {
  const hits: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      hits.push(String(req.headers['x-amz-target'] ?? ''));
      const answer = answers[Math.min(hits.length, answers.length) - 1];
      if (answer === 'reset' || answer === undefined) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer[0], { 'content-type': 'application/x-amz-json-1.0' });
      res.end(answer[1]);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

const faultCall = (url: string, transport: HttpTransport): AwsJsonCall =>
  createAwsJsonCall({
    endpoint: url,
    region: 'us-east-1',
    service: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    credentials: () => Promise.resolve(LOCAL_CREDENTIALS),
    transport,
    retryBaseMs: 1,
  });

const THROTTLED = [400, JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' })] as const;
const INVALID = [400, JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'bad input' })] as const;

describe.each(transports)('retries over %s', (_name, transport) => {
  it('retries 5xx, throttling and resets, and succeeds on the third attempt', async () => {
    for (const first of [[500, '{}'] as const, THROTTLED, 'reset' as const]) {
      const server = await faultServer([first, first, [200, '{"ok":true}']]);
      expect(await faultCall(server.url, transport)('PutItem', {})).toEqual({ ok: true });
      expect(server.hits).toEqual(['DynamoDB_20120810.PutItem', 'DynamoDB_20120810.PutItem', 'DynamoDB_20120810.PutItem']);
      await server.close();
    }
  });

  it('gives up after three attempts with the last error', async () => {
    const server = await faultServer([[503, JSON.stringify({ __type: 'ServiceUnavailable', message: 'down' })]]);
    const error = await faultCall(server.url, transport)('PutItem', {}).catch((e: unknown) => e);
    expect(error instanceof AwsServiceError && [error.name, error.message, error.status]).toEqual(['ServiceUnavailable', 'down', 503]);
    expect(server.hits.length).toBe(3);
    await server.close();
  });

  it('does not retry a client error', async () => {
    const server = await faultServer([INVALID, [200, '{}']]);
    const error = await faultCall(server.url, transport)('PutItem', {}).catch((e: unknown) => e);
    expect(error instanceof AwsServiceError && [error.name, error.message, error.retryable]).toEqual(['ValidationException', 'bad input', false]);
    expect(server.hits.length).toBe(1);
    await server.close();
  });
});

describe('createAwsClients light callers in AWS', () => {
  it("take the SDK's endpoint rules, region and credentials (recorded, never sent: nothing leaves loopback)", async () => {
    const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
    const recorder: HttpTransport = (url, init) => {
      sent.push({ url, headers: init.headers, body: init.body });
      return Promise.resolve({ status: 200, text: '{}', header: () => null });
    };
    const credentials = { accessKeyId: 'AKIDRECORDED', secretAccessKey: 'secret' };
    const eu = createAwsClients({ region: 'eu-west-1', credentials, http: { transport: recorder } });
    const cn = createAwsClients({ region: 'cn-north-1', credentials, http: { transport: recorder } });
    await eu.dynamodbJson('PutItem', { TableName: 't' });
    await cn.sqsJson('SendMessage', { QueueUrl: 'q', MessageBody: '{}' });
    eu.destroy();
    cn.destroy();
    expect(sent.map((s) => s.url)).toEqual(['https://dynamodb.eu-west-1.amazonaws.com/', 'https://sqs.cn-north-1.amazonaws.com.cn/']);
    expect(sent[0]?.headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
    expect(sent[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDRECORDED\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /);
    expect(sent[1]?.headers.authorization).toMatch(/Credential=AKIDRECORDED\/\d{8}\/cn-north-1\/sqs\/aws4_request, /);
    expect(sent[1]?.headers['x-amzn-query-mode']).toBe('true');
    expect(sent[1]?.body).toBe('{"QueueUrl":"q","MessageBody":"{}"}');
  });
});
