// Diagnostic: CPU of this process per job-row PutItem against dynalite (in a child process, as in bench:api),
// for the SDK's document client and the light JSON-protocol caller (shared/aws/aws-json.ts) on each transport
// and crypto. Prints one line per variant and a JSON summary. CALLS_N (default 3000) calls, 4 at a time.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsJsonCall, fetchTransport, type HttpTransport } from '../shared/aws/aws-json.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../shared/aws/clients.js';
import { marshallItem } from '../shared/aws/dynamo-marshal.js';
import { createNodeTransport, nodeSigV4Crypto } from '../shared/aws/aws-json-node.js';
import { jsSigV4Crypto, webSigV4Crypto, type SigV4Crypto } from '../shared/aws/sigv4.js';
import { startAwsChild } from './bench-api-child.js';

const N = Number(process.env.CALLS_N ?? 3000);
const CONCURRENCY = 4;
const aws = await startAwsChild();
const env = aws.env;
const endpoint = env.DYNAMODB_ENDPOINT ?? '';
const table = env.TABLE_NAME ?? '';
const clients = createAwsClients({ region: 'us-east-1', endpoints: { s3: env.S3_ENDPOINT ?? '', sqs: env.SQS_ENDPOINT ?? '', dynamodb: endpoint }, credentials: LOCAL_CREDENTIALS });
const node = createNodeTransport();

let counter = 0;
const item = () => {
  counter += 1;
  return {
    pk: 'TENANT#bench',
    sk: `JOB#${counter}`,
    kind: 'job',
    status: 'queued',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Generate an image of a red circle on a blue background.' }] }],
    params: { seed: 7, steps: 20 },
    metadata: { bench: 'api' },
    webhook: null,
    event_sequence: 0,
  };
};

const light = (transport: HttpTransport, sigCrypto: SigV4Crypto) => {
  const call = createAwsJsonCall({
    endpoint,
    region: 'us-east-1',
    service: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    credentials: () => Promise.resolve(LOCAL_CREDENTIALS),
    transport,
    crypto: sigCrypto,
  });
  return async () => {
    await call('PutItem', { TableName: table, Item: marshallItem(item()), ConditionExpression: 'attribute_not_exists(pk)' });
  };
};

const variants: [string, () => Promise<void>][] = [
  ['SDK document client', async () => void (await clients.documents.send(new PutCommand({ TableName: table, Item: item(), ConditionExpression: 'attribute_not_exists(pk)' })))],
  ['light: fetch + Web Crypto', light(fetchTransport, webSigV4Crypto)],
  ['light: fetch + plain-TS SHA-256', light(fetchTransport, jsSigV4Crypto)],
  ['light: fetch + node:crypto', light(fetchTransport, nodeSigV4Crypto)],
  ['light: node:http + node:crypto', light(node.transport, nodeSigV4Crypto)],
];

async function measure(fn: () => Promise<void>, n: number): Promise<{ cpuUs: number; awsUs: number | null; wallMs: number }> {
  const cpu0 = process.cpuUsage();
  const aws0 = await aws.cpuMs();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next += 1;
        await fn();
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const aws1 = await aws.cpuMs();
  return { cpuUs: (cpu.user + cpu.system) / n, awsUs: aws0 === null || aws1 === null ? null : ((aws1 - aws0) * 1000) / n, wallMs };
}

const summary: Record<string, number> = {};
try {
  for (const [, fn] of variants) await measure(fn, 300);
  for (const [name, fn] of variants) {
    const r = await measure(fn, N);
    summary[name] = Math.round(r.cpuUs);
    console.log(`${name.padEnd(32)} ${r.cpuUs.toFixed(0)} µs CPU per PutItem here, dynalite ${r.awsUs?.toFixed(0) ?? '?'} µs, ${((N * 1000) / r.wallMs).toFixed(0)} calls/s`);
  }
  console.log(JSON.stringify({ cpu_us_per_put: summary, calls: N, concurrency: CONCURRENCY }));
} finally {
  clients.destroy();
  node.destroy();
  await aws.stop();
}
