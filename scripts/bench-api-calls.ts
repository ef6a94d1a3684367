// Diagnostic: CPU of this process per AWS SDK call on POST /v1/jobs's path, against the local servers (in a
// child process, as in bench:api): the job row's conditional PutItem (document client), a lone SendMessage, and
// SendMessageBatch of 10 counted per message (what functions/api/batching-send.ts saves when sends coalesce).
// Prints one line per variant and a JSON summary. CALLS_N (default 3000) calls, 4 at a time.
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsClients, LOCAL_CREDENTIALS } from '../shared/aws/clients.js';
import { loadConfig } from '../shared/config.js';
import { startAwsChild } from './bench-api-child.js';

const N = Number(process.env.CALLS_N ?? 3000);
const CONCURRENCY = 4;
const BATCH = 10;
const aws = await startAwsChild();
const config = loadConfig({ ...aws.env, API_KEY_PEPPER: 'bench-pepper-0' });
const clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: LOCAL_CREDENTIALS });
const queueUrl = config.queues.jobs ?? '';

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
const body = () => JSON.stringify({ v: 1, job_id: `job_${(counter += 1)}`, tenant: 'bench', model: 'nexus-mini', attempt: 1 });

/** name, one call, messages (or rows) per call */
const variants: [string, () => Promise<unknown>, number][] = [
  [
    'PutItem (document client)',
    () => clients.documents.send(new PutCommand({ TableName: config.table, Item: item(), ConditionExpression: 'attribute_not_exists(pk)' })),
    1,
  ],
  ['SendMessage', () => clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body() })), 1],
  [
    `SendMessageBatch of ${BATCH}, per message`,
    () =>
      clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: BATCH }, (_, i) => ({ Id: String(i), MessageBody: body() })) })),
    BATCH,
  ],
];

async function measure(fn: () => Promise<unknown>, calls: number, perCall: number): Promise<{ cpuUs: number; awsUs: number | null; perSecond: number }> {
  const cpu0 = process.cpuUsage();
  const aws0 = await aws.cpuMs();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        next += 1;
        await fn();
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const aws1 = await aws.cpuMs();
  const units = calls * perCall;
  return { cpuUs: (cpu.user + cpu.system) / units, awsUs: aws0 === null || aws1 === null ? null : ((aws1 - aws0) * 1000) / units, perSecond: (units * 1000) / wallMs };
}

const summary: Record<string, number> = {};
try {
  for (const [, fn, perCall] of variants) await measure(fn, 300 / perCall, perCall);
  for (const [name, fn, perCall] of variants) {
    const r = await measure(fn, Math.ceil(N / perCall), perCall);
    summary[name] = Math.round(r.cpuUs);
    console.log(`${name.padEnd(36)} ${r.cpuUs.toFixed(0)} µs CPU here, AWS child ${r.awsUs?.toFixed(0) ?? '?'} µs, ${r.perSecond.toFixed(0)}/s`);
  }
  console.log(JSON.stringify({ cpu_us: summary, calls: N, concurrency: CONCURRENCY }));
} finally {
  clients.destroy();
  await aws.stop();
}
